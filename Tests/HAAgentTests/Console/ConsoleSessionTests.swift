import HACore
import XCTest
@testable import HAAgent

/// The console's session and CSRF rules, pure: time and randomness injected.
final class ConsoleSessionTests: XCTestCase {
    private var counter: UInt8 = 0
    private func random() -> [UInt8] {
        counter &+= 1
        return [UInt8](repeating: counter, count: 32)
    }

    func testASessionOpensWithRandomIdAndTokenAndExpiresOnTheServer() {
        var book = ConsoleSessionBook()
        let t0 = Timestamp(milliseconds: 1_000_000)
        let s = book.open(now: t0, random: random)
        XCTAssertEqual(s.id.count, 64)
        XCTAssertNotEqual(s.id, s.csrfToken, "the CSRF token is not the cookie")
        XCTAssertEqual(book.session(id: s.id, now: t0 + .hours(7)), s)
        XCTAssertNil(book.session(id: s.id, now: t0 + ConsoleSessionBook.lifetime), "expired at its lifetime")
        XCTAssertTrue(book.sessions.isEmpty, "an expired session is forgotten")
        XCTAssertNil(book.session(id: nil, now: t0))
        XCTAssertNil(book.session(id: "made-up", now: t0))
    }

    func testSignOutClosesTheSessionAndTheBookStaysBounded() {
        var book = ConsoleSessionBook()
        let t0 = Timestamp(milliseconds: 0)
        let first = book.open(now: t0, random: random)
        book.close(id: first.id)
        XCTAssertNil(book.session(id: first.id, now: t0))
        var last: ConsoleSession?
        for i in 0...ConsoleSessionBook.capacity {
            last = book.open(now: t0 + .seconds(Int64(i)), random: { [UInt8](repeating: UInt8(i % 256), count: 31) + [UInt8(i / 256)] })
        }
        XCTAssertEqual(book.sessions.count, ConsoleSessionBook.capacity)
        XCTAssertNotNil(book.session(id: last?.id, now: t0 + .seconds(300)), "the newest session is kept")
    }

    func testCSRFTokenMustMatchExactly() {
        var book = ConsoleSessionBook()
        let s = book.open(now: Timestamp(milliseconds: 0), random: random)
        XCTAssertTrue(ConsoleSessionBook.csrfMatches(s, offered: s.csrfToken))
        XCTAssertFalse(ConsoleSessionBook.csrfMatches(s, offered: nil))
        XCTAssertFalse(ConsoleSessionBook.csrfMatches(s, offered: ""))
        XCTAssertFalse(ConsoleSessionBook.csrfMatches(s, offered: String(s.csrfToken.dropLast())))
        XCTAssertFalse(ConsoleSessionBook.csrfMatches(s, offered: s.id), "the session id is not the token")
    }

    func testOnlyTheConsolesOwnOriginMayPost() {
        XCTAssertTrue(ConsoleSessionBook.sameOrigin("https://h1:8443", host: "h1:8443"))
        XCTAssertFalse(ConsoleSessionBook.sameOrigin("https://evil.example", host: "h1:8443"))
        XCTAssertFalse(ConsoleSessionBook.sameOrigin("http://h1:8443", host: "h1:8443"), "not over plain HTTP")
        XCTAssertFalse(ConsoleSessionBook.sameOrigin(nil, host: "h1:8443"), "a missing Origin is refused")
        XCTAssertFalse(ConsoleSessionBook.sameOrigin("null", host: "h1:8443"))
    }

    func testFormsAndCookiesDecode() {
        let form = ConsoleForm("xmlPath=%2Fsrv%2Fvm+1.xml&csrf=ab&csrf=cd&empty=&flag")
        XCTAssertEqual(form["xmlPath"], "/srv/vm 1.xml")
        XCTAssertEqual(form["csrf"], "ab", "a repeated field keeps its first value")
        XCTAssertNil(form.value("empty"))
        XCTAssertEqual(form["flag"], "")
        XCTAssertEqual(ConsoleForm.cookie("vigil_session", in: "a=1; vigil_session=xyz; b=2"), "xyz")
        XCTAssertNil(ConsoleForm.cookie("vigil_session", in: "vigil_session_old=1"))
        XCTAssertNil(ConsoleForm.cookie("vigil_session", in: nil))
    }
}
