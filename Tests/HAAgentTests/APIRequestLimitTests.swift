import AgentAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import XCTest
@testable import HAAgent

/// The API refuses, with a 4xx naming the problem, what it cannot take as asked: a huge body,
/// malformed JSON, a field it does not know, a name that cannot be a store key. Nothing is stored.
final class APIRequestLimitTests: XCTestCase {
    private func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())" }

    private func refusal(_ h: AgentHarness, _ method: HTTPMethod, _ path: String, _ body: Data?) async throws -> (status: Int, message: String) {
        let (status, data) = try await h.call(method, path, body: body)
        return (status, (try? JSONDecoder().decode(APIError.self, from: data))?.error ?? "not a JSON error: \(String(decoding: data, as: UTF8.self))")
    }

    func testHugeMalformedAndUnknownBodiesAreRefusedAndNothingIsStored() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = unique("strict")
        let path = try h.writeDomain(vm)

        // Over 1 MiB: 413 before the wizard looks at it, even though the JSON would be valid.
        let padding = String(repeating: " ", count: APIServer.maximumBodyBytes)
        let huge = Data("{\"domain\": \"\(vm)\", \"xmlPath\": \"\(path)\"\(padding)}".utf8)
        var answer = try await refusal(h, .POST, AgentAPI.vms, huge)
        XCTAssertEqual(answer.status, 413)
        XCTAssertEqual(answer.message, "request body over \(APIServer.maximumBodyBytes) bytes")

        // Sent in chunks, with no length announced: refused once the limit is passed.
        var chunked = HTTPClientRequest(url: URL(httpURLWithSocketPath: h.configuration.api.socket, uri: AgentAPI.vms)!.absoluteString)
        chunked.method = .POST
        let chunks = [ByteBuffer(bytes: Array(huge.prefix(1000))), ByteBuffer(bytes: Array(huge.dropFirst(1000)))]
        chunked.body = .stream(chunks.async, length: .unknown)
        let streamed = try await HTTPClient.shared.execute(chunked, timeout: .seconds(10))
        let streamedBody = Data(try await streamed.body.collect(upTo: 1 << 20).readableBytesView)
        XCTAssertEqual(streamed.status.code, 413)
        XCTAssertEqual(try JSONDecoder().decode(APIError.self, from: streamedBody).error, "request body over \(APIServer.maximumBodyBytes) bytes")

        // Also where the route reads no body at all.
        answer = try await refusal(h, .POST, AgentAPI.stop(vm), huge)
        XCTAssertEqual(answer.status, 413, answer.message)

        answer = try await refusal(h, .POST, AgentAPI.vms, Data("{\"domain\": \"\(vm)\", ".utf8))
        XCTAssertEqual(answer.status, 400)
        XCTAssertTrue(answer.message.hasPrefix("malformed request body"), answer.message)

        answer = try await refusal(h, .POST, AgentAPI.vms, Data("{\"domain\": \"\(vm)\", \"xmlPath\": \"\(path)\", \"prority\": \"high\"}".utf8))
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(answer.message, "malformed request body: unknown field 'prority'")

        let nested = "{\"domain\": \"\(vm)\", \"xmlPath\": \"\(path)\", \"storage\": [{\"name\": \"data\", \"path\": \"/x\", \"mode\": 1}]}"
        answer = try await refusal(h, .POST, AgentAPI.vms, Data(nested.utf8))
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(answer.message, "malformed request body: unknown field 'storage[0].mode'")

        // A known field given as null is as if absent, not unknown.
        let nulls = try await h.call(.POST, AgentAPI.checkVM, body: Data("{\"domain\": \"\(vm)\", \"xmlPath\": \"\(path)\", \"group\": null}".utf8))
        XCTAssertEqual(nulls.status, 200, String(decoding: nulls.body, as: UTF8.self))

        let groups = try await h.status().groups.map(\.name)
        XCTAssertFalse(groups.contains(vm), "nothing refused was stored: \(groups)")

        // The same body, well formed, is accepted: the refusals above were for what they named.
        let added = try await h.call(.POST, AgentAPI.vms, body: Data("{\"domain\": \"\(vm)\", \"xmlPath\": \"\(path)\"}".utf8))
        XCTAssertEqual(added.status, 201, String(decoding: added.body, as: UTF8.self))
        answer = try await refusal(h, .PUT, AgentAPI.policy(vm), Data("{\"priority\": \"high\", \"failovr\": \"1/1h\"}".utf8))
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(answer.message, "malformed request body: unknown field 'failovr'")
        let priority = try await h.status().groups.first { $0.name == vm }?.priority
        XCTAssertEqual(priority, "medium", "a refused policy change changes nothing")
        await h.stop()
        AgentHarness.remove(vm)
    }

    func testNamesInPathsAndBodiesAreCheckedBeforeTheyBecomeStoreKeys() async throws {
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        var answer = try await refusal(h, .POST, AgentAPI.stop("%2E%2E"), nil)
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(answer.message, "group name '..' cannot be '.' or '..'")
        answer = try await refusal(h, .GET, AgentAPI.vmXML("a%2Fb"), nil)
        XCTAssertEqual(answer.message, "VM name 'a/b' contains '/'")
        answer = try await refusal(h, .POST, AgentAPI.node("n%01", .drain), nil)
        XCTAssertEqual(answer.message, "node name 'n\\u{01}' contains a control character")
        answer = try await refusal(h, .POST, AgentAPI.move("web"), Data("{\"to\": \"../h2\"}".utf8))
        XCTAssertEqual(answer.message, "node name '../h2' contains '/'")
        answer = try await refusal(h, .POST, AgentAPI.vms, try JSONEncoder().encode(AddVMRequest(domain: "x/y", xmlPath: "/nowhere")))
        XCTAssertEqual(answer.message, "VM name 'x/y' contains '/'")
        let groups = try await h.status().groups
        XCTAssertTrue(groups.isEmpty, "nothing stored: \(groups)")
        await h.stop()
    }
}
