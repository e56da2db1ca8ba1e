/// UDP ports on which tshark 4.0 decodes a datagram as another protocol before a tunnel on the
/// higher port gets it. tshark tries the lower port's dissector first; these are the registered
/// ports below 6081 whose dissectors took a GTP-U, VXLAN, Geneve and GRE-in-UDP payload in a
/// differential test (tools/diff-decode-tunnel.py, family gtpu-ports). SNMP (161, 162) takes a
/// payload that starts as a BER sequence (0x30, which is also a plain GTPv1 header); ports whose
/// dissectors take some payloads by rules not known here (RMCP 623, OLSR 698, LTP 1113) are left out.
enum UDPPortPrecedence {
    static let claimedBeforeTunnels: [UInt16] = [
        7, 13, 19, 37, 49, 53, 67, 68, 69, 111, 123, 137, 138, 173, 213, 269,
        319, 320, 389, 427, 434, 464, 496, 500, 513, 514, 520, 521, 524, 525, 546, 547,
        631, 664, 701, 853, 854, 910, 921, 925, 1001, 1153, 1194, 1293, 1628, 1629, 1718, 1719,
        1745, 1755, 1900, 2099, 2157, 2221, 2222, 2246, 2268, 2269, 2313, 2345, 2887, 2944, 2945, 2948,
        2949, 3000, 3130, 3250, 3343, 3357, 3389, 3452, 3455, 3544, 3567, 3671, 3784, 3785, 3804, 3863,
        4305, 4306, 4307, 4341, 4342, 4500, 4551, 4555, 4569, 4729, 4784, 4790, 4791, 4991, 5031, 5072,
        5246, 5247, 5350, 5351, 5353, 5355, 5404, 5405, 5436, 5567, 5683, 5684, 5868, 6073,
    ]

    /// True when tshark would hand a datagram between `port` and a higher tunnel port, whose
    /// payload starts with `firstByte` (nil when empty), to the dissector of `port`.
    static func claims(_ port: UInt16, firstByte: UInt8?) -> Bool {
        if port == 161 || port == 162 { return firstByte == 0x30 }
        var low = 0, high = claimedBeforeTunnels.count
        while low < high {
            let mid = (low + high) / 2
            let value = claimedBeforeTunnels[mid]
            if value == port { return true }
            if value < port { low = mid + 1 } else { high = mid }
        }
        return false
    }
}
