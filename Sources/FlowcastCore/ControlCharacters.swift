extension Unicode.Scalar {
    /// A C0 or C1 control, DEL, or the Unicode line or paragraph separator: what must not appear
    /// in an id or any text that is printed one per line (a newline or an escape sequence would
    /// forge lines of `flowcast diff` and the report). Policy documents and topologies refuse it.
    public var isControlCharacter: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }
}
