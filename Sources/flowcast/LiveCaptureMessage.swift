import FlowcastCapture

/// A live capture error as `flowcast live` prints it: the capture library names no commands, so
/// the hint on where to find interfaces is added here.
func liveCaptureMessage(_ error: any Error) -> String {
    if case let .noSuchInterface(name, detail) = error as? CaptureError {
        return "\(name): no such interface (see flowcast live --list-interfaces) (libpcap: \(detail))"
    }
    return "\(error)"
}
