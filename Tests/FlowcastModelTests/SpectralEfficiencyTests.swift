import Testing
@testable import FlowcastModel

@Suite struct SpectralEfficiencyTests {
    @Test func table1MatchesTS38214Table5_2_2_1_2() {
        let expected = [0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305,
                        3.3223, 3.9023, 4.5234, 5.1152, 5.5547]
        #expect((1...15).map { SpectralEfficiency.bitsPerSecondPerHertz(cqi: $0, table: .table1)! } == expected)
        #expect(SpectralEfficiency.entry(cqi: 7, table: .table1) == CQIEntry(modulationOrder: 4, codeRateTimes1024: 378, efficiency: 1.4766))
    }

    @Test func table2With256QAMMatchesTS38214Table5_2_2_1_3() {
        let expected = [0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234,
                        5.1152, 5.5547, 6.2266, 6.9141, 7.4063]
        #expect((1...15).map { SpectralEfficiency.bitsPerSecondPerHertz(cqi: $0, table: .table2)! } == expected)
        #expect(SpectralEfficiency.entry(cqi: 12, table: .table2)?.modulationOrder == 8)
    }

    @Test func efficiencyIsConsistentWithModulationAndCodeRate() {
        for table in CQITable.allCases {
            for cqi in 1...15 {
                let entry = SpectralEfficiency.entry(cqi: cqi, table: table)!
                let derived = Double(entry.modulationOrder * entry.codeRateTimes1024) / 1024
                #expect(abs(derived - entry.efficiency) < 0.0001, "CQI \(cqi) \(table)")
            }
        }
    }

    @Test func outOfRangeCQI() {
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(cqi: 0) == 0)
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(cqi: 16) == nil)
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: 9.4) == 2.4063)
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: .nan) == nil)
    }

    @Test func withoutRadioKPIsTheConfiguredPeakIsUsedAndSaysSo() {
        let fallback = SpectralEfficiencyEstimate.resolve(forecast: nil, configuredPeak: 5.5547)
        #expect(fallback == SpectralEfficiencyEstimate(bitsPerSecondPerHertz: 5.5547, source: .configuredPeak))
        #expect(SpectralEfficiencyEstimate.resolve(forecast: 3.1, configuredPeak: 5.5).source == .radioKPI)
    }
}
