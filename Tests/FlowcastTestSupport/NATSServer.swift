public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a test's nats-server could not be used.
public struct NATSServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A real `nats-server` with JetStream on a free loopback port and a temporary store; stopped (and
/// its store removed) by `stop()` or when released.
public final class NATSServer: @unchecked Sendable {
    public static var executable: String? {
        ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
    public static var isAvailable: Bool { executable != nil }

    public let port: Int
    public let store: URL
    private var process: ChildProcess?
    public var url: String { "nats://127.0.0.1:\(port)" }

    /// Extra lines for the server's configuration file (e.g. `max_payload: 8192`), if any.
    public let configuration: String?

    /// Listens on every address (`-a 0.0.0.0`), for a client in another network namespace.
    public let listensOnEveryAddress: Bool

    public init(configuration: String? = nil, listensOnEveryAddress: Bool = false) throws {
        self.listensOnEveryAddress = listensOnEveryAddress
        port = try Self.freePort()
        store = Scratch.root.appendingPathComponent("flowcast-nats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        self.configuration = configuration
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: store)
    }

    /// Starts the server (again, on the same port and store) and waits until it accepts connections.
    public func start() throws {
        var arguments = ["-js", "-a", listensOnEveryAddress ? "0.0.0.0" : "127.0.0.1", "-p", String(port), "-sd", store.path]
        if let configuration {
            let file = store.appendingPathComponent("server.conf")
            try Data(configuration.utf8).write(to: file)
            arguments += ["-c", file.path]
        }
        let p = try ChildProcess(Self.executable!, arguments, stdout: .null, stderr: .null)
        process = p
        // Readiness, not a fixed pause: poll until the port accepts a TCP connection (≤ 10 s).
        for _ in 0..<500 {
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw NATSServerError("nats-server did not listen on port \(port)")
    }

    /// Stops the server (SIGTERM) and waits for it to exit (SIGKILL after 30 s).
    public func stop() {
        guard let p = process else { return }
        _ = try? p.stop(SIGTERM, timeout: 30)
        process = nil
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NATSServerError("socket: \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw NATSServerError("bind: \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

