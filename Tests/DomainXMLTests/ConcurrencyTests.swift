import DomainXML
import Testing

@Suite("Concurrent parsing") struct ConcurrencyTests {
    @Test("parsing good and bad documents on many tasks at once gives each its own result and error")
    func parallel() async throws {
        let good = try Fixture.text("virt-install-kvm")
        let bad = try Fixture.text("malformed-unclosed-tag")
        let results = await withTaskGroup(of: (Int, Result<String, DomainXMLError>).self) { group in
            for index in 0..<200 {
                group.addTask {
                    do throws(DomainXMLError) {
                        let name = try DomainDefinition(xml: index.isMultiple(of: 2) ? good : bad).name
                        return (index, .success(name))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 200)
        for (index, result) in results {
            switch result {
            case let .success(name):
                #expect(index.isMultiple(of: 2) && name == "web01")
            case let .failure(.malformed(line, _, message)):
                #expect(!index.isMultiple(of: 2) && line == 8 && message.contains("disk line 5"), "\(message)")
            case let .failure(other):
                Issue.record("unexpected error \(other)")
            }
        }
    }
}
