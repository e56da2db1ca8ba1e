internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A minimal HTTP/1.1 listener for Prometheus scrapes: `GET /metrics`, `Connection: close`.
///
/// Hand-written on a POSIX socket on purpose: a scrape endpoint needs a dozen lines of HTTP, and
/// SwiftNIO (with its transitive packages) would multiply the package's build time for it.
/// swift-prometheus renders the text; this only carries it.
///
/// One thread serves every connection through `poll(2)` on non-blocking sockets, within bounds
/// (docs/limits.md): at most `maximumConnections` at once (one more is answered 503 and closed),
/// a request of at most `maximumRequestBytes` (beyond: 431), sent within `requestTimeout` (5 s) and
/// its response read within `responseTimeout` (10 s) (beyond either: closed). A client that connects and
/// sends nothing, or reads nothing, holds one slot until its deadline and never the thread. Each
/// refusal is counted (`refusals`, served as `flowcast_metrics_connections_refused_total`).
final class MetricsListener: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// 16 connections at once: Prometheus scrapes a target over one connection at a time, and a
    /// few more leave room for a second scraper or a person with curl. Each holds at most
    /// `maximumRequestBytes` in and one exposition out.
    static let maximumConnections = 16
    /// 8 KiB: a scrape request (GET with Prometheus' headers) is about 300 bytes; 8 KiB is the
    /// request-header bound common HTTP servers use.
    static let maximumRequestBytes = 8_192
    /// 5 s from accepting a connection to the end of its request: a scraper sends its request at
    /// once; a client silent this long is holding a slot.
    static let defaultRequestTimeout: Int64 = 5_000_000_000
    /// 10 s to take the whole response: Prometheus' default scrape timeout.
    static let defaultResponseTimeout: Int64 = 10_000_000_000

    /// The deadlines in use, in nanoseconds (the defaults, or shorter in tests).
    let requestTimeout: Int64, responseTimeout: Int64

    /// Connections closed unserved, by reason.
    struct Refusals: Sendable, Equatable {
        /// Over `maximumConnections` (answered 503).
        var busy: UInt64 = 0
        /// A request over `maximumRequestBytes` (answered 431).
        var oversized: UInt64 = 0
        /// A request or a response not done by its deadline.
        var timedOut: UInt64 = 0
    }

    private let socket: Int32
    /// HOST:PORT as bound (the port is the kernel's choice when 0 was asked for).
    let boundAddress: String
    private var thread: Thread?
    private let lock = NSLock()
    private var counted = Refusals()
    private var stopping = false
    /// Written by `stop()` to wake the serving thread.
    private let wake: (read: Int32, write: Int32)

    var refusals: Refusals { lock.withLock { counted } }

    /// Binds `address`: HOST:PORT, or a bare PORT on 127.0.0.1 (`localhost` is 127.0.0.1).
    init(address: String, requestTimeout: Int64 = MetricsListener.defaultRequestTimeout,
         responseTimeout: Int64 = MetricsListener.defaultResponseTimeout) throws(Failure) {
        self.requestTimeout = requestTimeout
        self.responseTimeout = responseTimeout
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
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { let reason = String(cString: strerror(errno)); close(fd); throw Failure(description: reason) }
        for end in [fd, pipeEnds[0], pipeEnds[1]] { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        for end in [fd, pipeEnds[0], pipeEnds[1]] { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        socket = fd
        wake = (pipeEnds[0], pipeEnds[1])
        boundAddress = "\(host):\(UInt16(bigEndian: actual.sin_port))"
    }

    /// Serves `GET /metrics` (and `/`) with the body `metrics()` gives at that moment (called
    /// with the refusals so far), on a thread of its own until `stop()`.
    func start(metrics: @escaping @Sendable (Refusals) -> [UInt8]) {
        let thread = Thread { [self] in
            serve(metrics)
            close(socket); close(wake.read); close(wake.write)
        }
        lock.withLock { self.thread = thread }
        thread.start()
    }

    func stop() {
        let started = lock.withLock { () -> Bool in stopping = true; return thread != nil }
        if started {
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        } else {
            close(socket); close(wake.read); close(wake.write)
        }
    }

    private struct Connection {
        var fd: Int32
        var request: [UInt8] = []
        var response: [UInt8] = []
        var sent = 0
        var deadline: Int64
        var responding: Bool { !response.isEmpty }
    }

    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    private func count(_ body: (inout Refusals) -> Void) { lock.withLock { body(&counted) } }

    private func serve(_ metrics: @Sendable (Refusals) -> [UInt8]) {
        var connections: [Connection] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { for c in connections { close(c.fd) } }
        while !lock.withLock({ stopping }) {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0), pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            for c in connections { fds.append(pollfd(fd: c.fd, events: Int16(c.responding ? POLLOUT : POLLIN), revents: 0)) }
            let now = Self.now()
            let nearest = connections.map(\.deadline).min().map { max(0, $0 - now) } ?? 1_000_000_000
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(1_000, nearest / 1_000_000 + 1)))
            if ready < 0 && errno != EINTR { return }
            if fds[0].revents != 0 { return }
            // Requests and responses first, then deadlines, then new connections.
            var kept: [Connection] = []
            let after = Self.now()
            for (i, var c) in connections.enumerated() {
                let events = fds[i + 2].revents
                var done = false
                if c.responding {
                    if events & Int16(POLLOUT | POLLERR | POLLHUP) != 0 {
                        let n = c.response.withUnsafeBytes { send(c.fd, $0.baseAddress! + c.sent, $0.count - c.sent, Int32(MSG_NOSIGNAL)) }
                        if n > 0 { c.sent += n } else if n < 0 && errno != EAGAIN && errno != EINTR { done = true }
                        if c.sent == c.response.count { done = true }
                    }
                } else if events & Int16(POLLIN | POLLERR | POLLHUP) != 0 {
                    let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
                    if n > 0 {
                        c.request += chunk[0..<n]
                        if c.request.count > Self.maximumRequestBytes {
                            count { $0.oversized += 1 }
                            c.response = Self.response(431, "Request Header Fields Too Large",
                                                       "a request of more than \(Self.maximumRequestBytes) bytes\n")
                        } else if Self.headerEnds(c.request) {
                            c.response = Self.answer(c.request, metrics(refusals))
                        }
                    } else if n == 0 {
                        // The client closed its side: answer what it sent, if anything.
                        if c.request.isEmpty { done = true } else { c.response = Self.answer(c.request, metrics(refusals)) }
                    } else if errno != EAGAIN && errno != EINTR {
                        done = true
                    }
                    if c.responding { c.deadline = after + responseTimeout }
                }
                if !done && after >= c.deadline {
                    count { $0.timedOut += 1 }
                    done = true
                }
                if done { Self.finish(c.fd) } else { kept.append(c) }
            }
            connections = kept
            if fds[1].revents != 0 {
                while true {
                    let client = accept(socket, nil, nil)
                    if client < 0 { break }  // EAGAIN: none left (or a transient error)
                    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                    if connections.count >= Self.maximumConnections {
                        count { $0.busy += 1 }
                        let busy = Self.response(503, "Service Unavailable",
                                                 "more than \(Self.maximumConnections) connections at once\n")
                        _ = busy.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        close(client)
                        continue
                    }
                    connections.append(Connection(fd: client, deadline: Self.now() + requestTimeout))
                }
            }
        }
    }

    /// Closes a connection, first reading (a bounded amount of) what the client sent beyond its
    /// request, so that unread bytes do not turn the close into a reset that loses the response.
    private static func finish(_ fd: Int32) {
        var junk = [UInt8](repeating: 0, count: 4096)
        var reads = 0
        while reads < 16, junk.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 { reads += 1 }
        close(fd)
    }

    /// The request's header is complete (a blank line).
    private static func headerEnds(_ request: [UInt8]) -> Bool {
        request.firstRange(of: [13, 10, 13, 10]) != nil || request.firstRange(of: [10, 10]) != nil
    }

    private static func answer(_ request: [UInt8], _ body: @autoclosure () -> [UInt8]) -> [UInt8] {
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        if line.count >= 2, line[0] == "GET", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") || line[1] == "/" {
            let body = body()
            return Array(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body
        }
        return response(404, "Not Found", "not found: GET /metrics\n")
    }

    private static func response(_ status: Int, _ reason: String, _ body: String) -> [UInt8] {
        Array(("HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body).utf8)
    }
}
