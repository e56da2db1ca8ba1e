internal import FlowcastCapture

extension Array where Element == LiveCapture {
    /// The interfaces these captures read, each once, in the order of their first capture
    /// (`live -i A -i B` with several threads per interface).
    var interfaceNames: [String] {
        var names: [String] = []
        for c in self where !names.contains(c.interface) { names.append(c.interface) }
        return names
    }
}
