import BenchSupport
import XCTest

/// The commit and accelerator that bench/results/*.json record.
final class BenchMachineTests: XCTestCase {
    private let hash = "29ba46e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6"

    func testHeadResolvesThroughALooseRefOrPackedRefsOrIsTheCommitItself() {
        XCTAssertEqual(GitHead.commit(head: "ref: refs/heads/bench\n", loose: { $0 == "refs/heads/bench" ? hash + "\n" : nil }, packed: nil), hash)
        // A fresh clone keeps its branch in packed-refs: the commit, not the ref's name.
        let packed = "# pack-refs with: peeled fully-peeled sorted\n\(hash) refs/heads/bench\n^0123 peeled\n"
        XCTAssertEqual(GitHead.commit(head: "ref: refs/heads/bench\n", loose: { _ in nil }, packed: packed), hash)
        XCTAssertEqual(GitHead.commit(head: hash + "\n", loose: { _ in nil }, packed: nil), hash, "a detached HEAD")
        XCTAssertEqual(GitHead.commit(head: "ref: refs/heads/gone\n", loose: { _ in nil }, packed: packed), "unknown (refs/heads/gone not found)")
    }

    func testTheLabProbeSaysKVMOrTCG() {
        XCTAssertEqual(Accelerator.fromLabProbe("kvm\n")?.name, "kvm")
        XCTAssertEqual(Accelerator.fromLabProbe("qemu\n")?.name, "tcg", "the lab writes qemu for TCG guests")
        XCTAssertNil(Accelerator.fromLabProbe(""))
    }
}
