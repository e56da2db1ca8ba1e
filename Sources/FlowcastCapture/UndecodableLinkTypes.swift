public import FlowcastCore

extension LinkType {
    /// LINKTYPE_ values of which no packet can be decoded: neither Flowcast nor Wireshark 4.0 (the
    /// decoding oracle, docs/replay.md) has a dissector for their frames. tshark refuses a file
    /// of one outright ("network type N unknown or unsupported"), where libpcap opens it and
    /// Flowcast printed every packet with empty columns and exit status 0; a file of one is now
    /// refused as tshark refuses it. Measured on tshark 4.0.17 with a one-packet pcap for every
    /// value 0–319 (values from 300 on are unassigned). IrDA (144) and LAPD (177) are not here:
    /// tshark refuses their records only when the pseudo-header's protocol field is not theirs
    /// (`WiretapPseudoHeader`), which the measurement's zeros were not. Link types tshark decodes and Flowcast
    /// does not (802.11, Bluetooth, …) are still read, each packet with an unsupported-link issue.
    public static let withoutDissector: Set<UInt32> = [
        4, 5, 15, 17, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,
        46, 47, 48, 49, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
        77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 102, 103, 110, 111, 115,
        116, 120, 124, 125, 126, 132, 134, 145, 146, 164, 166, 168, 174, 175, 176, 182, 185, 191, 193, 194, 198,
        205, 206, 207, 208, 216, 217, 218, 219, 221, 222, 223, 232, 233, 234, 238, 244, 246, 247, 257, 261, 262, 263, 265,
        267, 269, 277, 278, 281, 282, 284, 285, 286, 289, 291, 296, 297, 298, 299,
    ]

    /// Whether some decoder knows this link type's frames (see `withoutDissector`); unassigned
    /// values from 300 on are not.
    public var hasDissector: Bool { rawValue < 300 && !Self.withoutDissector.contains(rawValue) }
}
