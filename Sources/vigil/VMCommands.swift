import AgentAPI
import ArgumentParser

/// `vigil vm list|show|add|validate`.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm", abstract: "List highly available VMs, make one highly available, or check one with the HA wizard.",
        subcommands: [List.self, Show.self, Add.self, Edit.self, Remove.self, Validate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every highly available VM, its group and where it runs.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try emit(try await options.client.status().vms, options.output, text: StatusText.vms)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one highly available VM.")
        @OptionGroup var options: GlobalOptions
        @Argument var vm: String

        func run() async throws {
            try emit(try await options.client.find("VM", vm) { $0.vm(vm) }, options.output, text: StatusText.vm)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a VM highly available (its domain XML must be on shared storage); the HA wizard checks it first.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The domain name (default: the domain the XML defines).") var domain: String?
        @Option(help: "The domain XML file on shared storage.") var xml: String
        @Option(help: "The group to join or create (default: the domain name).") var group: String?
        @OptionGroup var policy: PolicyOptions
        @Option(help: "Allowed move methods, best first: live,quick,cold.") var moveMethods: String?
        @Option(help: "Exclusive storage the VM needs, NAME=DEVICE:MOUNTPOINT (mounted on the owner only; DEVICE by a stable name such as /dev/disk/by-id/..., or an image file on shared storage; repeatable).")
        var exclusive: [String] = []
        @Option(help: "Shared storage the VM needs, NAME=PATH (present on every host; repeatable).")
        var shared: [String] = []
        @Flag(help: "Only run the checks (this host and every possible owner); make nothing highly available.")
        var check = false

        func run() async throws {
            let p = policy.request
            let request = AddVMRequest(domain: domain, xmlPath: xml, group: group, priority: p.priority, preferredOwners: p.preferredOwners,
                                       possibleOwners: p.possibleOwners, moveMethods: list(moveMethods), antiAffinity: p.antiAffinity,
                                       storage: try storageRequests(exclusive: exclusive, shared: shared),
                                       restart: p.restart, failover: p.failover, failback: p.failback, migration: p.migration,
                                       paused: p.paused)
            let answer = try await options.client.decode(Accepted.self, .POST, check ? AgentAPI.checkVM : AgentAPI.vms, body: request)
            try emit(answer, options.output) { $0.text }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a VM's domain XML on shared storage (in $VISUAL or $EDITOR, or from --xml FILE).",
            discussion: """
                The HA wizard checks the new XML on this host and every possible owner first; the file is then replaced \
                atomically, the previous one kept as FILE.prev, and the group's memory and vCPU demand follow it. \
                A running VM gets the new definition at its next start.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument var vm: String
        @Option(help: "Take the new domain XML from this file instead of an editor.") var xml: String?

        func run() async throws {
            let current = try await options.client.decode(VMConfigurationView.self, .GET, AgentAPI.vmXML(vm))
            let edited: String
            if let xml {
                do { edited = try String(contentsOfFile: xml, encoding: .utf8) } catch { throw CLIError("cannot read \(xml): \(error.localizedDescription)") }
            } else {
                edited = try EditorSession(name: vm).edit(current.xml)
                if edited == current.xml { return print("VM \(vm): no change") }
            }
            let answer = try await options.client.decode(Accepted.self, .PUT, AgentAPI.vm(vm), body: EditVMRequest(xml: edited))
            try emit(answer, options.output) { $0.text }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a VM's high availability: it leaves its group and keeps running where it is.")
        @OptionGroup var options: GlobalOptions
        @Argument var vm: String

        func run() async throws {
            try emit(try await options.client.decode(Accepted.self, .DELETE, AgentAPI.vm(vm)), options.output) { $0.text }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the HA wizard alone on a domain XML file: this host and every possible owner; nothing is stored.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The domain XML file on shared storage.") var xml: String

        func run() async throws {
            let answer = try await options.client.decode(Accepted.self, .POST, AgentAPI.checkVM, body: AddVMRequest(domain: nil, xmlPath: xml))
            try emit(answer, options.output) { $0.text }
        }
    }
}

/// Parses `NAME=DEVICE:MOUNTPOINT` (exclusive) and `NAME=PATH` (shared) storage options.
func storageRequests(exclusive: [String], shared: [String]) throws -> [StorageRequest]? {
    var requests: [StorageRequest] = []
    for item in exclusive {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        let target = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1).map(String.init) : []
        guard target.count == 2 else { throw ValidationError("--exclusive takes NAME=DEVICE:MOUNTPOINT, not '\(item)'") }
        requests.append(StorageRequest(name: parts[0], device: target[0], mountPoint: target[1]))
    }
    for item in shared {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--shared takes NAME=PATH, not '\(item)'") }
        requests.append(StorageRequest(name: parts[0], path: parts[1]))
    }
    return requests.isEmpty ? nil : requests
}
