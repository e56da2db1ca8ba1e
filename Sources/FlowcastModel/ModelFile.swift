internal import FlowcastCore
public import Foundation

/// Why a model file could not be read or written; every case names the file.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(path: String)
    /// There, but not readable as a file (a folder, no permission).
    case unreadable(path: String, reason: String)
    case corrupt(path: String, detail: String)
    /// A value outside its range: `field` is its JSON path, `problem` what it must be and was.
    case badValue(path: String, field: String, problem: String)
    case notAModel(path: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case writeFailed(path: String, reason: String)
    /// Larger than `ModelFile.maximumBytes`: refused before it is read.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// An interval model (`train --horizon`) where a next-row model is needed.
    case intervalModel(path: String, horizon: Double)
    /// A next-row model where an interval model (`--horizon`) is needed.
    case nextRowModel(path: String, horizon: Double)

    public var description: String {
        switch self {
        case .notFound(let path): "\(path.visible): no such model file"
        case .unreadable(let path, let reason): "\(path.visible): cannot read the model file: \(reason)"
        case .corrupt(let path, let detail): "\(path.visible): corrupt model file: \(detail)"
        case .badValue(let path, let field, let problem): "\(path.visible): \(field): \(problem)"
        case .notAModel(let path): "\(path.visible): not a Flowcast model file (no \"format\": \"\(ForecastModel.formatName)\")"
        case .unsupportedVersion(let path, let found, let supported):
            "\(path.visible): model file version \(found) is not supported (this flowcast reads version \(supported)); retrain with `flowcast train`"
        case .writeFailed(let path, let reason): "\(path.visible): cannot write model: \(reason)"
        case .tooLarge(let path, let bytes, let limit):
            "\(path.visible): the model file is \(bytes) bytes, more than the bound of \(limit) bytes (docs/limits.md)"
        case .intervalModel(let path, let horizon):
            "\(path.visible): the model forecasts the mean of the next \(IntervalSeries.seconds(horizon)) (trained with --horizon), "
                + "not the next row: here a model trained without --horizon is needed (evaluate scores this one with "
                + "--horizon \(IntervalSeries.argument(horizon)); replay, live and the planner plan with it at --plan-every \(IntervalSeries.argument(horizon)))"
        case .nextRowModel(let path, let horizon):
            "\(path.visible): the model forecasts the next row (trained without --horizon), not the mean of the next "
                + "\(IntervalSeries.seconds(horizon)): train one with --horizon \(IntervalSeries.argument(horizon))"
        }
    }
}

/// Versioned JSON model files, written atomically (temporary file + rename).
public enum ModelFile {
    /// 64 MiB (docs/limits.md). A model trained on all of Abilene (both public files, self pairs
    /// included: 174 series, 524,088 samples, 64 + 24 trees) is 144 KB; each depth-6 tree adds
    /// about 1.4 KB, so even two heads of `BoostingOptions.largestMaxTrees` (4,096) trees are about
    /// 12 MB. A file near 64 MiB was not written by `flowcast train`, and `write` refuses to write
    /// one. Decoding JSON holds several times the file in memory.
    public static let maximumBytes = 64 << 20

    /// Never writes a model that `read` would refuse: its values are checked as on reading first.
    public static func write(_ model: ForecastModel, to url: URL) throws(ModelFileError) {
        if let problem = problem(in: model) { throw unreadable(problem, url) }
        try write(encodable: model, to: url)
    }

    public static func write(_ model: IntervalModel, to url: URL) throws(ModelFileError) {
        if let problem = problem(in: model) { throw unreadable(problem, url) }
        try write(encodable: model, to: url)
    }

    private static func unreadable(_ problem: String, _ url: URL) -> ModelFileError {
        .writeFailed(path: url.path, reason: "the trained model has a value a model file may not hold (\(problem)); not written")
    }

    private static func write(encodable model: some Encodable, to url: URL) throws(ModelFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(model) } catch {
            throw .writeFailed(path: url.path, reason: "\(error.localizedDescription)")
        }
        // Never write a model that `read` would refuse.
        guard data.count <= maximumBytes else {
            throw .writeFailed(path: url.path, reason: "the model is \(data.count) bytes, more than the bound of "
                + "\(maximumBytes) bytes a model file is read within (docs/limits.md)")
        }
        do throws(AtomicFileError) {
            let file = try AtomicFile(path: url.path)
            data.withUnsafeBytes { file.write($0) }
            try file.commit()
        }
        // The user's path, not the temporary file's (`m.json.partial`).
        catch { throw .writeFailed(path: url.path, reason: error.reason) }
    }

    public static func read(from url: URL) throws(ModelFileError) -> ForecastModel {
        try decode(bytes(of: url), path: url.path)
    }

    /// Reads an interval model (`train --horizon`); `horizon` is the one the caller needs (named
    /// in the error when the file holds a next-row model).
    public static func readInterval(from url: URL, horizon: Double) throws(ModelFileError) -> IntervalModel {
        try decodeInterval(bytes(of: url), path: url.path, horizon: horizon)
    }

    private static func bytes(of url: URL) throws(ModelFileError) -> Data {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path: path) }
        let bytes: [UInt8]
        // A JSON document may sit on one line: the one bound is the file's size.
        do { bytes = try BoundedInput.read(path: path, bounds: InputBounds(what: "model file", maximumBytes: maximumBytes,
                                                                          maximumLineBytes: maximumBytes)) } catch {
            if case .tooLarge(let size, let limit) = error.problem { throw .tooLarge(path: path, bytes: size, limit: limit) }
            if case .unreadable(let reason) = error.problem { throw .unreadable(path: path, reason: reason) }
            throw .corrupt(path: path, detail: "unreadable")
        }
        return Data(bytes)
    }

    /// Decodes interval-model JSON; the format and version are checked before anything else.
    public static func decodeInterval(_ data: Data, path: String, horizon: Double) throws(ModelFileError) -> IntervalModel {
        let header = try header(data, path: path)
        if header.format == .string(ForecastModel.formatName) { throw .nextRowModel(path: path, horizon: horizon) }
        guard header.format == .string(IntervalModel.formatName) else { throw .notAModel(path: path) }
        let version = try header.checkedVersion(path: path)
        guard version == IntervalModel.formatVersion else {
            throw .unsupportedVersion(path: path, found: version, supported: IntervalModel.formatVersion)
        }
        let model: IntervalModel
        do { model = try JSONDecoder().decode(IntervalModel.self, from: data) } catch let error as DecodingError {
            throw refusal(error, data: data, path: path)
        } catch {
            throw .corrupt(path: path, detail: "undecodable")
        }
        let d = IntervalSeries.featureCount(covariates: model.covariates.count)
        guard model.featureNames == IntervalSeries.featureNames(covariates: model.covariates) else {
            throw .corrupt(path: path, detail: "feature names do not match this flowcast's interval features")
        }
        for head in [model.lower, model.point, model.upper] {
            guard head.weights.count == d, (head.weights + [head.shift]).allSatisfy(\.isFinite) else {
                throw .corrupt(path: path, detail: "weights do not match the feature definitions")
            }
            if let trees = head.trees, !trees.isConsistent(featureCount: d) {
                throw .corrupt(path: path, detail: "trees do not match the feature definitions")
            }
        }
        if let problem = problem(in: model) { throw badValue(problem, path: path) }
        return model
    }

    private static func header(_ data: Data, path: String) throws(ModelFileError) -> Header {
        do { return try JSONDecoder().decode(Header.self, from: data) } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Where and why, from the strict parser (Foundation's message names neither).
            guard let failure = data.withUnsafeBytes({ JSONValue.failure($0) }) else { throw .corrupt(path: path, detail: "not valid JSON") }
            throw .corrupt(path: path, detail: "not valid JSON at line \(failure.line), column \(failure.column): \(failure.reason)")
        } catch {
            throw .notAModel(path: path)  // JSON, but not an object
        }
    }

    /// Decodes model JSON; the version is checked before anything else is trusted.
    public static func decode(_ data: Data, path: String) throws(ModelFileError) -> ForecastModel {
        let header = try header(data, path: path)
        if header.format == .string(IntervalModel.formatName) {
            var horizon = 0.0
            if let interval = try? JSONDecoder().decode(IntervalHeader.self, from: data) { horizon = interval.horizonSeconds }
            throw .intervalModel(path: path, horizon: horizon)
        }
        guard header.format == .string(ForecastModel.formatName) else { throw .notAModel(path: path) }
        let version = try header.checkedVersion(path: path)
        guard version == ForecastModel.formatVersion else {
            throw .unsupportedVersion(path: path, found: version, supported: ForecastModel.formatVersion)
        }
        let model: ForecastModel
        do { model = try JSONDecoder().decode(ForecastModel.self, from: data) } catch let error as DecodingError {
            throw refusal(error, data: data, path: path)
        } catch {
            throw .corrupt(path: path, detail: "undecodable")
        }
        if let problem = model.layout.problem {
            throw .corrupt(path: path, detail: "bad layout: \(problem)")
        }
        let d = model.layout.count
        guard model.featureNames == model.layout.names, model.pointWeights.count == d, model.upperWeights.count == d,
              model.baselines.ridgeWeights.isEmpty || model.baselines.ridgeWeights.count == d else {
            throw .corrupt(path: path, detail: "weights do not match the feature definitions")
        }
        for trees in [model.pointTrees, model.upperTrees].compactMap({ $0 }) where !trees.isConsistent(featureCount: d) {
            throw .corrupt(path: path, detail: "trees do not match the feature definitions")
        }
        if let problem = problem(in: model) { throw badValue(problem, path: path) }
        return model
    }

    /// The two fields read before anything else is trusted, whatever their types.
    private struct Header: Decodable {
        var format: JSONValue?
        var version: JSONValue?

        /// The version, or an error saying whether it is missing or of the wrong type.
        func checkedVersion(path: String) throws(ModelFileError) -> Int {
            switch version {
            case nil, .null?: throw .corrupt(path: path, detail: "missing \"version\"")
            case .number(let number)?:
                guard let version = Int(exactly: number) else {
                    throw .badValue(path: path, field: "$.version", problem: "must be a whole number, found \(number)")
                }
                return version
            case let other?:
                let name = other.typeName
                let article = name.first.map { "aeiou".contains($0) } == true ? "an" : "a"
                throw .badValue(path: path, field: "$.version", problem: "must be a number, found \(article) \(name)")
            }
        }
    }

    /// `$.path: problem` (from the range checks) as a `badValue` error.
    private static func badValue(_ problem: String, path: String) -> ModelFileError {
        let colon = problem.range(of: ": ")!
        return .badValue(path: path, field: String(problem[..<colon.lowerBound]), problem: String(problem[colon.upperBound...]))
    }

    /// A decoding error as the model file's error: a number beyond `Double` (`1e999`) fails the
    /// whole document with no coding path, so its path is found in the text.
    private static func refusal(_ error: DecodingError, data: Data, path: String) -> ModelFileError {
        if let number = UnrepresentableNumber.find(in: data) {
            return .badValue(path: path, field: number.path, problem: "must be a finite number, found \(number.text)")
        }
        return .corrupt(path: path, detail: describe(error))
    }

    private struct IntervalHeader: Decodable {
        var horizonSeconds: Double
    }

    private static func describe(_ error: DecodingError) -> String {
        /// A coding path as a JSON path: `$.baselines.upperOffsets.ewma`, `$.pointWeights[3]`.
        func path(_ keys: [any CodingKey]) -> String {
            "$" + keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        return switch error {
        case .keyNotFound(let key, let context):
            "missing \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.isEmpty ? "undecodable JSON" : "bad value at \(path(context.codingPath))"
        @unknown default: "undecodable"
        }
    }
}
