import Testing
@testable import FlowcastModel

@Suite struct MetricsTests {
    @Test func handComputedMetrics() {
        var accumulator = MetricAccumulator(quantile: 0.9)
        // actual, point, upper
        accumulator.add(actual: 10, point: 8, upper: 12)   // e=2, covered, pinball 0.1*2=0.2
        accumulator.add(actual: 4, point: 6, upper: 5)     // e=-2, covered, pinball 0.1*1=0.1
        accumulator.add(actual: 0, point: 0, upper: 0)     // e=0, covered, sMAPE term 0
        accumulator.add(actual: 6, point: 2, upper: 3)     // e=4, not covered, pinball 0.9*3=2.7
        let m = accumulator.metrics
        #expect(m.count == 4)
        #expect(abs(m.mae - 2.0) < 1e-12)
        #expect(abs(m.rmse - (24.0 / 4).squareRoot()) < 1e-12)
        #expect(abs(m.wape - 8.0 / 20.0) < 1e-12)
        let smape = (2.0 * 2 / 18 + 2.0 * 2 / 10 + 0 + 2.0 * 4 / 8) / 4
        #expect(abs(m.smape - smape) < 1e-12)
        #expect(m.coverage == 0.75)
        #expect(abs(m.pinball - 3.0 / 4) < 1e-12)
    }

    /// Actuals that sum to 0 have no WAPE (it read 0.0, a perfect score, beside an MAE of 0.0072):
    /// null in the JSON, "-" in the table, as for any figure that cannot be computed.
    @Test func noWAPEOfActualsThatSumToZero() {
        var accumulator = MetricAccumulator(quantile: 0.9)
        accumulator.add(actual: 0, point: 0.01, upper: 0.02)
        accumulator.add(actual: 0, point: 0.0044, upper: 0.02)
        let m = accumulator.metrics
        #expect(m.wape.isNaN && abs(m.mae - 0.0072) < 1e-12)
        var interval = IntervalMetricAccumulator()
        interval.add(actual: 0, IntervalForecast(point: 0.5, lower: 0, upper: 1))
        #expect(interval.metrics.wape.isNaN && interval.metrics.mae == 0.5)
        let report = EvaluationReport(seriesCount: 1, steps: 2, methods: [.init(method: .persistence, metrics: m)])
        #expect(report.json.contains(#""wape": null"#))
    }

    @Test func pinballLossIsAsymmetric() {
        #expect(abs(MetricAccumulator.pinball(actual: 10, forecast: 8, quantile: 0.9) - 1.8) < 1e-12)
        #expect(abs(MetricAccumulator.pinball(actual: 8, forecast: 10, quantile: 0.9) - 0.2) < 1e-12)
    }

    /// A method whose forecasts are not numbers (NaN from a diverging baseline) has no score: its
    /// sMAPE read 0.0, a perfect score, beside an MAE of null.
    @Test func aMethodWithoutFiniteForecastsHasNoScore() {
        var accumulator = MetricAccumulator(quantile: 0.9)
        accumulator.add(actual: 10, point: 8, upper: 12)
        accumulator.add(actual: 4, point: .nan, upper: .nan)
        let m = accumulator.metrics
        #expect(m.count == 2 && m.nonFinite == 1)
        #expect([m.mae, m.rmse, m.wape, m.smape, m.coverage, m.pinball].allSatisfy { $0.isNaN })
        let report = EvaluationReport(seriesCount: 1, steps: 2, methods: [.init(method: .holtWinters, metrics: m)])
        #expect(report.json.contains(#""name": "holt_winters", "mae": null, "rmse": null, "wape": null, "smape": null, "p90_coverage": null, "p90_pinball": null"#))
        var interval = IntervalMetricAccumulator()
        interval.add(actual: 3, IntervalForecast(point: .nan, lower: .nan, upper: .nan))
        #expect(interval.metrics.nonFinite == 1 && interval.metrics.bandCoverage.isNaN)
    }

    @Test func emptyAccumulatorReportsZeroCount() {
        #expect(MetricAccumulator().metrics.count == 0)
    }
}

@Suite struct EvaluationTableTests {
    /// Columns fit their widest value: bit/s-sized errors stay apart and aligned.
    @Test func largeValuesKeepTheirColumnsApart() {
        let big = ForecastMetrics(count: 950, mae: 1_221_468.18621, rmse: 1_971_351.3651, wape: 0.0952, smape: 0.7003,
                                  coverage: 0.786, pinball: 411_416.4991)
        let small = ForecastMetrics(count: 950, mae: 2.5, rmse: 7.25, wape: 0.049, smape: 0.2, coverage: 0.9, pinball: 0.7)
        let report = EvaluationReport(seriesCount: 19, steps: 950, methods: [
            .init(method: .flowcast, metrics: big), .init(method: .persistence, metrics: small)])
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines == [
            "19 series, 950 one-step forecasts per method; MAE, RMSE and pinball in the series' own units",
            "method                MAE          RMSE  WAPE%  sMAPE%  P90cov   P90pinball",
            "flowcast     1221468.1862  1971351.3651   9.52   70.03   0.786  411416.4991",
            "persistence        2.5000        7.2500   4.90   20.00   0.900       0.7000",
        ])
    }

    /// The seasonal baselines without a whole season behind a forecast are persistence's: on 1 s
    /// radio logs (no trace is a day long) their rows equalled persistence's without a word.
    @Test("the table and JSON say how many forecasts the seasonal baselines had a season for")
    func seasonalRowsWithoutASeasonAreSaid() {
        let m = ForecastMetrics(count: 10, mae: 1, rmse: 1, wape: 0.1, smape: 0.1, coverage: 0.9, pinball: 0.1)
        let methods: [EvaluationReport.MethodMetrics] = [.init(method: .persistence, metrics: m), .init(method: .seasonalDay, metrics: m),
                                                         .init(method: .seasonalWeek, metrics: m)]
        let none = EvaluationReport(seriesCount: 1, steps: 10, methods: methods)
        #expect(none.table.hasSuffix("\nnote: no forecast had a whole day or week of history before it (or the step has no season): "
                                     + "seasonal_day and seasonal_week are persistence's"))
        #expect(none.json.contains(#""name": "seasonal_day", "mae": 1.0, "rmse": 1.0, "wape": 0.1, "smape": 0.1, "p90_coverage": 0.9, "p90_pinball": 0.1, "with_season": 0}"#))
        let some = EvaluationReport(seriesCount: 1, steps: 10, methods: methods, daySeasonSteps: 10, weekSeasonSteps: 4)
        #expect(some.table.hasSuffix("\nnote: seasonal_week had a whole week of history before 4 of the 10 forecasts; the others are persistence's"))
        #expect(some.json.contains(#""with_season": 10}"#) && some.json.contains(#""with_season": 4}"#))
        #expect(!some.json.contains(#""name": "persistence", "mae": 1.0, "rmse": 1.0, "wape": 0.1, "smape": 0.1, "p90_coverage": 0.9, "p90_pinball": 0.1, "with"#))
        let all = EvaluationReport(seriesCount: 1, steps: 10, methods: methods, daySeasonSteps: 10, weekSeasonSteps: 10)
        #expect(all.seasonNote == nil && !all.table.contains("note:"))
    }

    /// Errors too small for four decimals keep four significant digits: a series in small units
    /// read 0.0000 for every method.
    @Test func smallErrorsKeepTheirDigits() {
        let tiny = ForecastMetrics(count: 10, mae: 0.000_023_456, rmse: 0.000_4, wape: 0.1, smape: 0.1, coverage: 0.8, pinball: 0)
        let other = ForecastMetrics(count: 10, mae: 0.000_031_2, rmse: 0.0006, wape: 0.1, smape: 0.1, coverage: 0.8, pinball: 0.000_01)
        let report = EvaluationReport(seriesCount: 1, steps: 10, methods: [
            .init(method: .flowcast, metrics: tiny), .init(method: .persistence, metrics: other)])
        let rows = report.table.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").map(String.init) }
        #expect(rows[0] == ["flowcast", "2.346e-05", "4.000e-04", "10.00", "10.00", "0.800", "0.0000"])
        #expect(rows[1] == ["persistence", "3.120e-05", "0.0006", "10.00", "10.00", "0.800", "1.000e-05"])
    }
}
