#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets on loopback for tests that play a TCP collector or server.
public enum LoopbackTCP {
    /// A TCP socket listening on `port` of 127.0.0.1 (SO_REUSEADDR), or nil.
    public static func listen(_ port: UInt16, backlog: Int32 = 1) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else { close(fd); return nil }
        return fd
    }
}
