// Fuzz target: the model file reader. Input: a model file (JSON); a model that loads also
// forecasts a short series, as `replay --model` would, so that hostile tree indexes or weight
// counts are caught. `FLOWCAST_FUZZ_MAKE_SEEDS=DIR` writes a small trained model to DIR.
import FlowcastModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    guard let directory = Fuzz.seedExportDirectory else { return 0 }
    let values = (0..<96).map { 100 + 40 * sin(Double($0) / 4) + Double($0 % 7) }
    let set = SeriesSet(source: "seed", step: 300, startTime: 0, series: [Series(name: "seed", values: values)])
    var options = TrainingOptions()
    options.iterations = 2
    if let model = try? Trainer.train([set], options: options) {
        try? ModelFile.write(model, to: URL(fileURLWithPath: "\(directory)/trained.json"))
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        guard let model = try? ModelFile.decode(Data(bytes), path: "fuzz-model.json") else { return }
        var state = model.makeState(step: 300)
        for i in 0..<40 {
            state.observe(100 + Double(i % 5), at: Double(i) * 300)
            _ = model.forecastPoint(state)
        }
        _ = model.forecast(state)
    }
}
