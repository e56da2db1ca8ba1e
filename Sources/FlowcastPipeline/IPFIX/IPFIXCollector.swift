internal import CFlowcastShims
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A collector to export to: `udp://HOST:PORT` or `tcp://HOST:PORT` (an IPv6 host in brackets).
public struct IPFIXCollector: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable { case udp, tcp }
    public var transport: Transport
    public var host: String
    public var port: UInt16

    public init(transport: Transport, host: String, port: UInt16) {
        self.transport = transport; self.host = host; self.port = port
    }

    /// Parses `udp://HOST:PORT` or `tcp://HOST:PORT`; nil when it is neither (`problem(url:)` says why).
    public init?(url: String) {
        guard case let .success(c) = Self.parse(url) else { return nil }
        self = c
    }

    /// Why `url` is not a collector's address, or nil when it is one.
    public static func problem(url: String) -> String? {
        if case let .failure(p) = parse(url) { return p.reason }
        return nil
    }

    struct URLProblem: Error { var reason: String }

    static func parse(_ url: String) -> Result<IPFIXCollector, URLProblem> {
        func no(_ reason: String) -> Result<IPFIXCollector, URLProblem> { .failure(URLProblem(reason: reason)) }
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return no("expected udp://HOST:PORT or tcp://HOST:PORT") }
        guard let transport = Transport(rawValue: parts[0].lowercased()) else {
            return no("the scheme '\(parts[0])' is not udp or tcp (udp://HOST:PORT or tcp://HOST:PORT)")
        }
        var rest = parts[1]
        if let slash = rest.firstIndex(of: "/") {
            // A trailing slash is harmless; anything after it names no part of a collector.
            guard rest[slash...] == "/" else { return no("'\(rest[slash...])' after the port: a collector is HOST:PORT, with no path") }
            rest = rest[..<slash]
        }
        let host: Substring, portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return no("no ']' closing the IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            // Brackets hold an IPv6 address ("[127.0.0.1]" was taken as 127.0.0.1).
            guard host.contains(":") else { return no("'[\(host)]': brackets hold an IPv6 address; write a name or IPv4 address without them") }
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { return no("no port after the address (\(transport.rawValue)://[\(host)]:PORT)") }
            portText = after.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return no("no port (\(transport.rawValue)://HOST:PORT)") }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            // Without brackets an IPv6 address cannot be told from its port ("::1:4739" was read as
            // [::1]:4739, though "::1:4739" is an address too).
            if host.contains(":") { return no("an IPv6 address goes in brackets (\(transport.rawValue)://[ADDRESS]:PORT)") }
        }
        guard !host.isEmpty else { return no("no host") }
        guard !host.contains("@") else { return no("'\(host)': a collector is HOST:PORT, with no user part") }
        // Digits only: UInt16("+4739") is 4739, and a port is not written so.
        guard portText.allSatisfy(\.isASCIIDigit), let port = UInt16(portText), port > 0 else {
            return no("the port '\(portText)' is not 1 to 65535")
        }
        return .success(IPFIXCollector(transport: transport, host: String(host), port: port))
    }

    public var description: String {
        "\(transport.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// Errors of IPFIX export setup (sending errors are counted, never thrown).
public enum IPFIXError: Error, CustomStringConvertible {
    case unresolvable(IPFIXCollector, String)
    /// Two URLs, spelled differently, that reach one collector (the same transport, port and address).
    case sameCollector(IPFIXCollector, IPFIXCollector, String)
    public var description: String {
        switch self {
        case let .unresolvable(c, reason): return "IPFIX collector \(c): cannot resolve \(c.host): \(reason)"
        case let .sameCollector(a, b, address):
            return "--ipfix \(a) and --ipfix \(b) reach the same collector (\(address) over \(a.transport.rawValue.uppercased())); it would get every flow twice"
        }
    }
}

extension IPFIXCollector {
    /// Throws when the collector's host name does not resolve: for commands to check before
    /// they move or create anything (a run's exporter resolves it again as it starts).
    public func checkResolvable() throws {
        _ = try IPFIXSocket(self)
    }

    /// Throws when a collector's name does not resolve, or when two of them resolve to the same
    /// address, port and transport (`udp://localhost:4739` beside `udp://127.0.0.1:4739`): that
    /// collector would get every flow twice and count sequence errors. Identical URLs are a usage
    /// error before this (`IPFIXArguments`).
    public static func checkResolvable(_ collectors: [IPFIXCollector]) throws {
        var seen: [String: IPFIXCollector] = [:]
        for collector in collectors {
            let socket = try IPFIXSocket(collector)
            guard var address = socket.firstAddressText else { continue }
            // An IPv4-mapped IPv6 address is the IPv4 address (a socket sends to it over IPv4).
            if address.lowercased().hasPrefix("::ffff:") && address.contains(".") { address = String(address.dropFirst(7)) }
            // The unspecified address as a destination is this host (Linux sends to loopback):
            // udp://0.0.0.0:4739 beside udp://127.0.0.1:4739 got every flow twice (an audit).
            if address.hasPrefix("0.0.0.0 ") { address = "127.0.0.1" + address.dropFirst(7) }
            if address.hasPrefix(":: ") { address = "::1" + address.dropFirst(2) }
            let key = "\(collector.transport.rawValue) \(address)"
            if let earlier = seen[key] { throw IPFIXError.sameCollector(earlier, collector, address) }
            seen[key] = collector
        }
    }
}

/// A socket to one collector: a connected UDP socket, or a TCP connection made with a timeout.
/// Owns the descriptor; nothing outside sees it.
final class IPFIXSocket {
    let collector: IPFIXCollector
    /// Every address the name resolved to, in getaddrinfo's order (RFC 6724): a TCP connect tries
    /// each in turn, as a client should when a name has an IPv6 and an IPv4 address and the
    /// collector listens on one (until 7 December 2026 only the first was tried); UDP, which hears
    /// nothing back, uses the first.
    private let addresses: [(family: Int32, bytes: [UInt8])]
    private var descriptor: Int32 = -1

    /// Resolves the collector's address (once: a name that moves needs a restart).
    init(_ collector: IPFIXCollector) throws {
        self.collector = collector
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(collector.transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(collector.host, String(collector.port), &hints, &result)
        guard status == 0, result != nil else {
            throw IPFIXError.unresolvable(collector, String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        var found: [(Int32, [UInt8])] = []
        var next = result
        while let entry = next {
            found.append((entry.pointee.ai_family, Array(UnsafeRawBufferPointer(start: entry.pointee.ai_addr, count: Int(entry.pointee.ai_addrlen)))))
            next = entry.pointee.ai_next
        }
        addresses = collector.transport == .udp ? Array(found.prefix(1)) : found
    }

    deinit { close() }

    /// The first address the name resolved to and its port, as `ADDRESS port N` (numeric).
    var firstAddressText: String? {
        guard let first = addresses.first else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = first.bytes.withUnsafeBytes { raw -> Int32 in
            getnameinfo(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(first.bytes.count),
                        &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
        }
        guard status == 0 else { return nil }
        let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(text) port \(collector.port)"
    }

    var isOpen: Bool { descriptor >= 0 }

    /// TCP: bytes written to this session's socket (the kernel took them), and, once it is
    /// closed, how many of them the collector's host had acknowledged then (nil: unknown).
    private(set) var written: UInt64 = 0
    private(set) var acknowledgedAtClose: UInt64?

    /// TCP: bytes of this session the collector's host has acknowledged (written less what the
    /// socket still holds); nil when closed or not known.
    func acknowledged() -> UInt64? {
        guard descriptor >= 0, collector.transport == .tcp else { return nil }
        let unacknowledged = flowcast_unacknowledged_bytes(descriptor)
        guard unacknowledged >= 0, UInt64(unacknowledged) <= written else { return nil }
        return written - UInt64(unacknowledged)
    }

    /// TCP: waits up to `milliseconds` for the collector's host to acknowledge everything written.
    func awaitAcknowledgement(milliseconds: Int) {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while let acked = acknowledged(), acked < written, Date() < deadline { usleep(5_000) }
    }

    /// TCP, at the end of a session: ends Flowcast's side (FIN) and waits up to `milliseconds`
    /// for the collector's answer. Its end of stream (it read everything, then closed as the
    /// stream ended) is true; a reset (it had closed with data unread, or closes on it) is false;
    /// no answer in time, nil. Collectors never send, so anything else is no answer.
    func confirmClose(milliseconds: Int32) -> Bool? {
        guard descriptor >= 0, collector.transport == .tcp else { return nil }
        _ = shutdown(descriptor, Int32(SHUT_WR))
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, max(0, milliseconds)) > 0 else { return nil }
        var byte: UInt8 = 0
        let n = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT))
        if n == 0 { return true }
        if n < 0 && (errno == ECONNRESET || errno == EPIPE) { return false }
        return nil
    }

    /// Opens the socket; for TCP, connects within `timeoutMilliseconds` (each address in turn,
    /// the time shared among them). Returns an error text: the last address's.
    func open(timeoutMilliseconds: Int32) -> String? {
        close()
        var reason = "no address"
        for (i, address) in addresses.enumerated() {
            let share = max(100, timeoutMilliseconds / Int32(addresses.count - i))
            let outcome = open(address, timeoutMilliseconds: i == addresses.count - 1 ? timeoutMilliseconds : share)
            switch outcome {
            case .success(let fd): descriptor = fd; written = 0; acknowledgedAtClose = nil; return nil
            case .failure(let problem): reason = problem.reason
            }
        }
        return reason
    }

    private func open(_ address: (family: Int32, bytes: [UInt8]), timeoutMilliseconds: Int32) -> Result<Int32, ConnectFailure> {
        func no(_ text: String) -> Result<Int32, ConnectFailure> { .failure(ConnectFailure(reason: text)) }
        let type = collector.transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let fd = socket(address.family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return no(String(cString: strerror(errno))) }
        if collector.transport == .tcp {
            // Connect without blocking, so an unreachable collector costs at most the timeout.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let started = address.bytes.withUnsafeBytes { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
            if started != 0 && errno != EINPROGRESS {
                let reason = String(cString: strerror(errno)); Glibc.close(fd); return no(reason)
            }
            if started != 0 {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&p, 1, timeoutMilliseconds)
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if ready <= 0 || error != 0 {
                    let reason = ready <= 0 ? "connection timed out" : String(cString: strerror(error))
                    Glibc.close(fd); return no(reason)
                }
            }
            _ = fcntl(fd, F_SETFL, flags)
            // A stalled collector must not hold the exporter forever: sends time out.
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        } else {
            let connected = address.bytes.withUnsafeBytes { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
            if connected != 0 { let reason = String(cString: strerror(errno)); Glibc.close(fd); return no(reason) }
            var size: Int32 = 1 << 20
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        return .success(fd)
    }

    private struct ConnectFailure: Error { var reason: String }

    /// Why a send failed. `refused` (UDP only): the send reported the ICMP "port unreachable"
    /// that an earlier datagram brought back (ECONNREFUSED on a connected socket), and the kernel
    /// did not transmit this message.
    struct SendFailure: Error { var reason: String; var refused = false }

    /// Sends one message whole. A TCP socket is closed on error (the stream is no longer framed),
    /// a UDP one stays open (the next datagram may get through).
    func send(_ message: [UInt8]) -> SendFailure? {
        guard descriptor >= 0 else { return SendFailure(reason: "not connected") }
        var sent = 0
        while sent < message.count {
            let n = message.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                // SO_SNDTIMEO: a TCP collector that took nothing for 2 s (its buffers full).
                let stalled = collector.transport == .tcp && (errno == EAGAIN || errno == EWOULDBLOCK)
                let failure = SendFailure(reason: stalled ? "the collector took nothing for 2 s (send timed out)" : String(cString: strerror(errno)),
                                          refused: collector.transport == .udp && errno == ECONNREFUSED)
                if collector.transport == .tcp { close() }
                return failure
            }
            sent += n
            if collector.transport == .tcp { written += UInt64(n) }
        }
        return nil
    }

    /// True when a TCP collector has closed the connection (it restarted, say). A collector
    /// never sends anything, so a readable socket means end of stream or an error: checked
    /// before each batch, so the batch goes to the next session instead of into a dead one.
    func peerClosed() -> Bool {
        guard descriptor >= 0, collector.transport == .tcp else { return false }
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) <= 0
    }

    /// Whether a connected UDP socket holds a refusal (the ICMP "port unreachable" of a datagram
    /// sent), waiting up to `milliseconds` for one to come back; reads and clears it. For the
    /// last datagram of a session, which no later send would report.
    func takeRefusal(waitingMilliseconds milliseconds: Int32) -> Bool {
        guard descriptor >= 0, collector.transport == .udp else { return false }
        var p = pollfd(fd: descriptor, events: 0, revents: 0)  // POLLERR is always reported
        guard poll(&p, 1, milliseconds) > 0, p.revents & Int16(POLLERR) != 0 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == ECONNREFUSED
    }

    func close() {
        guard descriptor >= 0 else { return }
        if collector.transport == .tcp { acknowledgedAtClose = acknowledged() }
        Glibc.close(descriptor)
        descriptor = -1
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
