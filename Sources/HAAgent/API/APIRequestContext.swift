import Hummingbird

/// The request context of the agent's API: Hummingbird's core context with the API's body limit.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The console's signed-in session and the form it posted, once `ConsoleGuard` has checked both.
    var consoleSession: ConsoleSession?
    var consoleForm = ConsoleForm("")
    /// The caller's IP address (the console's sign-in throttle counts by it); nil on a Unix socket.
    let clientAddress: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Larger request bodies are refused with 413 before any handler sees them.
    var maxUploadSize: Int { APIServer.maximumBodyBytes }
}
