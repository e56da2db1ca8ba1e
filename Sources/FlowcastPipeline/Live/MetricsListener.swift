internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A minimal HTTP/1.1 listener for Prometheus scrapes: one GET at a time, `Connection: close`.
///
/// Hand-written on a POSIX socket on purpose: a scrape endpoint needs a dozen lines of HTTP, and
/// SwiftNIO (with its transitive packages) would multiply the package's build time for it.
/// swift-prometheus renders the text; this only carries it.
final class MetricsListener: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private let socket: Int32
    /// HOST:PORT as bound (the port is the kernel's choice when 0 was asked for).
    let boundAddress: String
    private var thread: Thread?

    /// Binds `address`: HOST:PORT, or a bare PORT on 127.0.0.1 (`localhost` is 127.0.0.1).
    init(address: String) throws(Failure) {
        var host = "127.0.0.1", portText = address
        if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon]); portText = String(address[address.index(after: colon)...])
            if host.isEmpty { host = "127.0.0.1" }
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText) else { throw Failure(description: "expected HOST:PORT") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno)); close(fd)
            throw Failure(description: reason)
        }
        var actual = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socket = fd
        boundAddress = "\(host):\(UInt16(bigEndian: actual.sin_port))"
    }

    /// Serves `GET /metrics` (and `/`) with the body `metrics()` gives at that moment, on a thread
    /// of its own until `stop()`.
    func start(metrics: @escaping @Sendable () -> [UInt8]) {
        let thread = Thread { [self] in
            while true {
                let client = accept(socket, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                serve(client, metrics)
                close(client)
            }
        }
        thread.start()
        self.thread = thread
    }

    func stop() { shutdown(socket, Int32(SHUT_RDWR)); close(socket) }

    private func serve(_ client: Int32, _ metrics: () -> [UInt8]) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 16_384 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        var response: [UInt8]
        if line.count >= 2, line[0] == "GET", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") || line[1] == "/" {
            let body = metrics()
            response = Array(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8)
            response += body
        } else {
            let body = "not found: GET /metrics\n"
            response = Array(("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + body).utf8)
        }
        var sent = 0
        while sent < response.count {
            let n = response.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }
}
