import Testing
@testable import FlowcastModel

/// A model whose own heads are persistence, so the baselines can be read off its forecasts.
func handModel(_ parameters: BaselineParameters) -> ForecastModel {
    let layout = FeatureLayout.standard
    return ForecastModel(id: "test", quantile: 0.9, seed: 0, layout: layout, featureNames: layout.names,
                         pointWeights: Array(repeating: 0, count: layout.count),
                         upperWeights: Array(repeating: 0, count: layout.count), baselines: parameters,
                         training: .init(sources: [], series: 0, samples: 0, untilRow: nil, stepSeconds: nil))
}

func point(_ forecast: Forecast, _ method: ForecastMethod) -> Double {
    forecast.methods.first { $0.method == method }!.point
}

@Suite struct BaselineTests {
    // A 12-hour step gives a 2-row day and a 14-row week, small enough to compute by hand.
    let step = 43_200.0

    func state(after values: [Double], _ parameters: BaselineParameters) -> (ForecastModel, SeriesState) {
        let model = handModel(parameters)
        var state = model.makeState(step: step)
        for value in values { state.observe(value) }
        return (model, state)
    }

    @Test func persistenceSeasonalNaiveAndEWMA() {
        let (model, state) = state(after: [10, 20, 30], BaselineParameters(ewmaAlpha: 0.5))
        let forecast = model.forecast(state)
        #expect(point(forecast, .persistence) == 30)
        #expect(point(forecast, .seasonalDay) == 20)   // one day (2 rows) before the forecast row
        #expect(point(forecast, .seasonalWeek) == 30)  // under a week of history: falls back to persistence
        #expect(point(forecast, .ewma) == 22.5)        // 10 → 15 → 22.5
    }

    @Test func seasonalWeekUsesTheValueOneWeekBefore() {
        let (model, state) = state(after: (1...14).map(Double.init), BaselineParameters())
        #expect(point(model.forecast(state), .seasonalWeek) == 1)
        #expect(point(model.forecast(state), .seasonalDay) == 13)
    }

    @Test func additiveHoltWintersByHand() {
        // L=10; then L=15, b=2.5, S1=2.5; then L=23.75, b=5.625, S0=3.125; forecast L+b+S1.
        let parameters = BaselineParameters(holtWintersAlpha: 0.5, holtWintersBeta: 0.5, holtWintersGamma: 0.5)
        let (model, state) = state(after: [10, 20, 30], parameters)
        #expect(point(model.forecast(state), .holtWinters) == 31.875)
    }

    @Test func ridgeAndUpperOffsetsScaleWithTheSeries() {
        let layout = FeatureLayout.standard
        var weights = Array(repeating: 0.0, count: layout.count)
        weights[0] = 0.1
        let parameters = BaselineParameters(ridgeWeights: weights, upperOffsets: ["persistence": 0.5])
        let (model, state) = state(after: [10, 20, 30], parameters)
        let forecast = model.forecast(state)
        #expect(state.scale == 20)  // mean |x|
        #expect(point(forecast, .ridge) == 32)
        #expect(forecast.methods.first { $0.method == .persistence }!.upper == 40)
    }

    @Test func ridgeFitRecoversKnownCoefficients() {
        // y = 2 + 3·x1 − x2 exactly.
        var x: [Double] = []
        var y: [Double] = []
        for i in 0..<50 {
            let x1 = Double(i % 7), x2 = Double((i * 3) % 11)
            x += [1, x1, x2]
            y.append(2 + 3 * x1 - x2)
        }
        let beta = LinearFit.ridge(x: x, columns: 3, y: y, weights: Array(repeating: 1, count: 50), lambda: 1e-12)
        #expect(abs(beta[0] - 2) < 1e-6 && abs(beta[1] - 3) < 1e-6 && abs(beta[2] + 1) < 1e-6)
    }

    @Test func quantileFitPutsTheRightShareBelow() {
        // Intercept-only quantile regression is the sample quantile.
        let values = (0..<200).map { Double(($0 * 37) % 200) }
        let beta = LinearFit.quantile(x: Array(repeating: 1, count: 200), columns: 1, y: values,
                                      weights: Array(repeating: 1, count: 200), tau: 0.9, iterations: 60)
        let below = values.filter { $0 <= beta[0] + 1e-6 }.count
        #expect((175...185).contains(below))
    }

    /// A weight that overflowed (a series value of 1e300, squared) made the normal equations NaN:
    /// the Cholesky loop raised its jitter a hundredfold forever and `train` hung. No fit now.
    @Test func aSystemThatCannotFactorGetsNoFitInsteadOfLoopingForever() {
        let beta = LinearFit.ridge(x: [1, 2, 1, 3], columns: 2, y: [1, 2], weights: [.infinity, 1], lambda: 1e-4)
        #expect(beta == [0, 0])
        #expect(LinearFit.solve([.nan, 0, 0, 1], [1, 1], size: 2) == [0, 0])
        #expect(LinearFit.solve([-1, 0, 0, -1], [1, 1], size: 2).count == 2)  // negative definite: jitter gives up, no hang
        #expect(LinearFit.solve([4, 0, 0, 1], [8, 3], size: 2) == [2, 3])
    }
}
