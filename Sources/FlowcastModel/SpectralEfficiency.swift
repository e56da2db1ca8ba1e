/// Which CQI table a cell reports against (3GPP TS 38.214 §5.2.2.1, chosen per cell by the
/// `cqi-Table` RRC parameter).
public enum CQITable: String, Sendable, Codable, CaseIterable {
    /// TS 38.214 Table 5.2.2.1-2: 4-bit CQI table 1, QPSK to 64QAM.
    case table1 = "table1"
    /// TS 38.214 Table 5.2.2.1-3: 4-bit CQI table 2, QPSK to 256QAM.
    case table2 = "table2-256qam"
}

/// One CQI table row: modulation, code rate × 1024 and spectral efficiency in bit/s/Hz.
public struct CQIEntry: Sendable, Equatable {
    public var modulationOrder: Int
    public var codeRateTimes1024: Int
    public var efficiency: Double
}

/// CQI → spectral efficiency by 3GPP TS 38.214 V15+ Tables 5.2.2.1-2 and 5.2.2.1-3.
public enum SpectralEfficiency {
    /// TS 38.214 Table 5.2.2.1-2 (CQI table 1), CQI 1–15; CQI 0 is "out of range".
    static let table1: [CQIEntry] = [
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 78, efficiency: 0.1523),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 120, efficiency: 0.2344),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 193, efficiency: 0.3770),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 308, efficiency: 0.6016),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 449, efficiency: 0.8770),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 602, efficiency: 1.1758),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 378, efficiency: 1.4766),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 490, efficiency: 1.9141),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 616, efficiency: 2.4063),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 466, efficiency: 2.7305),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 567, efficiency: 3.3223),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 666, efficiency: 3.9023),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 772, efficiency: 4.5234),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 873, efficiency: 5.1152),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 948, efficiency: 5.5547),
    ]

    /// TS 38.214 Table 5.2.2.1-3 (CQI table 2, with 256QAM), CQI 1–15; CQI 0 is "out of range".
    static let table2: [CQIEntry] = [
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 78, efficiency: 0.1523),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 193, efficiency: 0.3770),
        CQIEntry(modulationOrder: 2, codeRateTimes1024: 449, efficiency: 0.8770),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 378, efficiency: 1.4766),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 490, efficiency: 1.9141),
        CQIEntry(modulationOrder: 4, codeRateTimes1024: 616, efficiency: 2.4063),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 466, efficiency: 2.7305),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 567, efficiency: 3.3223),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 666, efficiency: 3.9023),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 772, efficiency: 4.5234),
        CQIEntry(modulationOrder: 6, codeRateTimes1024: 873, efficiency: 5.1152),
        CQIEntry(modulationOrder: 8, codeRateTimes1024: 711, efficiency: 5.5547),
        CQIEntry(modulationOrder: 8, codeRateTimes1024: 797, efficiency: 6.2266),
        CQIEntry(modulationOrder: 8, codeRateTimes1024: 885, efficiency: 6.9141),
        CQIEntry(modulationOrder: 8, codeRateTimes1024: 948, efficiency: 7.4063),
    ]

    /// The table row for a CQI index 1–15, `nil` for CQI 0 (out of range) or anything else.
    public static func entry(cqi: Int, table: CQITable = .table1) -> CQIEntry? {
        guard (1...15).contains(cqi) else { return nil }
        return (table == .table1 ? table1 : table2)[cqi - 1]
    }

    /// Spectral efficiency in bit/s/Hz: 0 for CQI 0 (no transmission possible), `nil` outside 0–15.
    public static func bitsPerSecondPerHertz(cqi: Int, table: CQITable = .table1) -> Double? {
        if cqi == 0 { return 0 }
        return entry(cqi: cqi, table: table)?.efficiency
    }

    /// Efficiency for a logged CQI that may be fractional or missing: rounded to the nearest index.
    public static func bitsPerSecondPerHertz(loggedCQI: Double, table: CQITable = .table1) -> Double? {
        // Outside -0.5..<15.5 no index is near: refused before the conversion to Int, which
        // traps on a value beyond Int's range (found by fuzzing: a CQI field of 115 digits).
        guard loggedCQI.isFinite, loggedCQI > -0.5, loggedCQI < 15.5 else { return nil }
        return bitsPerSecondPerHertz(cqi: Int(loggedCQI.rounded()), table: table)
    }
}

/// A cell's spectral efficiency and where it came from, so a forecast can say which it used.
public struct SpectralEfficiencyEstimate: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable {
        /// Forecast from the cell's CQI reports.
        case radioKPI = "radio-kpi"
        /// No radio KPIs: the cell's configured peak efficiency.
        case configuredPeak = "configured-peak"
    }

    public var bitsPerSecondPerHertz: Double
    public var source: Source

    public init(bitsPerSecondPerHertz: Double, source: Source) {
        self.bitsPerSecondPerHertz = bitsPerSecondPerHertz
        self.source = source
    }

    /// The forecast efficiency when one exists, else the configured peak, labelled as such.
    public static func resolve(forecast: Double?, configuredPeak: Double) -> SpectralEfficiencyEstimate {
        if let forecast, forecast.isFinite {
            return SpectralEfficiencyEstimate(bitsPerSecondPerHertz: forecast, source: .radioKPI)
        }
        return SpectralEfficiencyEstimate(bitsPerSecondPerHertz: configuredPeak, source: .configuredPeak)
    }
}
