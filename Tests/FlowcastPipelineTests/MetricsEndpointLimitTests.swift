@testable import FlowcastPipeline
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The metrics endpoint's bounds (docs/limits.md), over real sockets on 127.0.0.1: connections at
/// once, request size, and clients that send or read nothing.
@Suite("Metrics endpoint limits")
struct MetricsEndpointLimitTests {
    /// A listener on a kernel-chosen port serving a fixed body, with short deadlines.
    static func listener(requestTimeout: Int64 = 400_000_000) throws -> (MetricsListener, UInt16) {
        let listener = try MetricsListener(address: "127.0.0.1:0", requestTimeout: requestTimeout, responseTimeout: 400_000_000)
        listener.start { _ in Array("flowcast_up 1\n".utf8) }
        let port = try #require(UInt16(listener.boundAddress.split(separator: ":").last ?? ""))
        return (listener, port)
    }

    /// A connected socket (closed by the caller), with a receive timeout so no test hangs.
    static func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect: \(String(cString: strerror(errno)))")
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything the server sends until it closes (or 3 s pass).
    static func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func scrape(_ port: UInt16) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        send(fd, Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        return readAll(fd)
    }

    @Test("clients that connect and send nothing neither block a scrape nor hold a slot past the deadline")
    func silentClientsTimeOut() throws {
        // Silent clients are cut at 1.5 s; a scrape that waited behind them would take that long.
        // The margin is wide so a loaded machine's scheduling cannot pass for waiting.
        let (listener, port) = try Self.listener(requestTimeout: 1_500_000_000)
        defer { listener.stop() }
        let silent = try (0..<3).map { _ in try Self.connect(port) }
        defer { silent.forEach { close($0) } }
        let start = Date()
        let text = try Self.scrape(port)
        #expect(text.hasPrefix("HTTP/1.1 200 OK") && text.hasSuffix("flowcast_up 1\n"), "\(text)")
        #expect(Date().timeIntervalSince(start) < 1.0, "a scrape waited behind silent clients")
        // Each silent client is closed at its deadline (the server's close reads as end of file).
        for fd in silent { #expect(Self.readAll(fd).isEmpty) }
        #expect(listener.refusals.timedOut == 3)
    }

    @Test("a connection beyond the bound is answered 503 and counted; a slot freed takes a scrape again")
    func connectionsBeyondTheBound() throws {
        let (listener, port) = try Self.listener(requestTimeout: 2_000_000_000)
        defer { listener.stop() }
        var held = try (0..<MetricsListener.maximumConnections).map { _ in try Self.connect(port) }
        defer { held.forEach { close($0) } }
        usleep(100_000)  // let the server accept them all
        let extra = try Self.connect(port)
        let refused = Self.readAll(extra)
        close(extra)
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
        #expect(listener.refusals.busy == 1)
        close(held.removeLast())
        usleep(100_000)
        #expect(try Self.scrape(port).hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test("a request larger than the bound is answered 431 and counted, and holds no more than the bound")
    func oversizedRequest() throws {
        let (listener, port) = try Self.listener()
        defer { listener.stop() }
        let fd = try Self.connect(port)
        defer { close(fd) }
        // A request line that never ends.
        Self.send(fd, Array("GET /metrics?".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: MetricsListener.maximumRequestBytes + 100))
        let text = Self.readAll(fd)
        #expect(text.hasPrefix("HTTP/1.1 431"), "\(text)")
        #expect(listener.refusals.oversized == 1)
        #expect(try Self.scrape(port).hasPrefix("HTTP/1.1 200 OK"))
    }
}
