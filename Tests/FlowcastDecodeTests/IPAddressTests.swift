import FlowcastDecode
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
}
