import EtcdTestSupport
import Foundation
import HACoordination
import Testing

/// A dead or misconfigured etcd gives clear errors quickly, never a hang.
@Suite struct EtcdErrorTests {
    @Test func deadEndpointsAreNamedInTheError() async throws {
        let ports = try FreePorts.take(2)  // nothing listens there
        let endpoints = ports.map { "http://127.0.0.1:\($0)" }
        let store = try EtcdStore(EtcdConfiguration(endpoints: endpoints, requestTimeout: .seconds(3)))
        let start = ContinuousClock.now
        do {
            _ = try await store.get("x")
            Issue.record("a call to dead endpoints must fail")
        } catch StoreError.unavailable(let message) {
            #expect(endpoints.allSatisfy { message.contains($0) }, "the error names every member tried: \(message)")
            #expect(message.contains("refused"))
        }
        #expect(ContinuousClock.now - start < .seconds(6), "bounded by the call deadline (3 s, plus slack for a loaded machine)")
        try await store.close()
    }

    @Test func noEndpointsIsRejected() {
        #expect(throws: StoreError.rejected("no etcd endpoints configured")) {
            _ = try EtcdStore(EtcdConfiguration(endpoints: []))
        }
    }
}
