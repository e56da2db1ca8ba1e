import FlowcastCore
import Testing

@Suite("IP address text")
struct IPAddressTests {
    @Test("IPv6 is written in RFC 5952 form as inet_ntop writes it", arguments: [
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::192.0.2.1", "::192.0.2.1"),
        ("fe80::1:0:0:0", "fe80::1:0:0:0"),  // equal runs: the first is compressed
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func rfc5952(_ input: String, _ expected: String) throws {
        let address = try #require(IPAddress(input[...]))
        #expect(address.description == expected)
    }

    @Test("IPv4 parses and prints dotted quads; junk is refused")
    func ipv4() {
        #expect(IPAddress("10.20.0.1")?.description == "10.20.0.1")
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("1::2::3") == nil)
    }

    @Test("Text is refused where inet_pton refuses it: leading zeros, signs, non-hex words")
    func strictText() {
        #expect(IPAddress("010.0.0.1") == nil)
        #expect(IPAddress("+1.2.3.4") == nil)
        #expect(IPAddress("1.2.3.-4") == nil)
        #expect(IPAddress("::+f") == nil)
        #expect(IPAddress("0.0.0.0")?.description == "0.0.0.0")
    }

    @Test("An IPv4-mapped IPv6 address unmaps to its IPv4 address and shares its 128-bit form")
    func mapped() throws {
        let mapped = try #require(IPAddress("::ffff:10.1.2.3")), v4 = try #require(IPAddress("10.1.2.3"))
        #expect(mapped != v4)
        #expect(mapped.unmapped == v4)
        #expect(v4.unmapped == v4)
        #expect(mapped.mapped128 == v4.mapped128)
        let v6 = try #require(IPAddress("2001:db8::1"))
        #expect(v6.unmapped == v6)
        let bytes: [UInt8] = [10, 1, 2, 3]
        #expect(bytes.withUnsafeBytes { IPAddress(bytes: $0) } == v4)
    }
}
