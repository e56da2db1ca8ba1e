internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Drops root like tcpdump -Z: supplementary groups, then group, then user; checks root cannot
/// be regained. The output folder is handed to the user first, the only place Flowcast writes.
enum PrivilegeDrop {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func to(user: String, owning directory: String) throws(Failure) {
        guard let entry = getpwnam(user) else { throw Failure(description: "no such user") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        guard chown(directory, uid, gid) == 0 else { throw Failure(description: "chown \(directory): \(String(cString: strerror(errno)))") }
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw Failure(description: "setgroups: \(String(cString: strerror(errno)))") }
        guard setgid(gid) == 0 else { throw Failure(description: "setgid: \(String(cString: strerror(errno)))") }
        guard setuid(uid) == 0 else { throw Failure(description: "setuid: \(String(cString: strerror(errno)))") }
        if uid != 0 && setuid(0) == 0 { throw Failure(description: "root could be regained after setuid") }
    }
}
