internal import Foundation
extension EvaluationReport {
    /// The report as one JSON object: `{"series": N, "steps": N, "methods": [{"name": …, "mae": …, …}]}`.
    /// Ratios (WAPE, sMAPE, coverage) are fractions, errors are in the series' units. The upper
    /// forecast's keys name its quantile: `p90_coverage`, `p90_pinball` for a default model.
    public var json: String {
        func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
        let upper = Self.upperName(quantile).lowercased()
        let methods = self.methods.map { entry in
            let m = entry.metrics
            return "{\"name\": \"\(entry.method.rawValue)\", \"mae\": \(number(m.mae)), \"rmse\": \(number(m.rmse)), "
                + "\"wape\": \(number(m.wape)), \"smape\": \(number(m.smape)), \"\(upper)_coverage\": \(number(m.coverage)), "
                + "\"\(upper)_pinball\": \(number(m.pinball))"
                + (seasonSteps(entry.method).map { ", \"with_season\": \($0)" } ?? "") + "}"
        }
        return "{\"series\": \(seriesCount), \"steps\": \(steps), \"unit\": \(EvaluationUnit.json(unit)), \"methods\": [" + methods.joined(separator: ", ") + "]}"
    }

    /// The report as an aligned text table (percentages for the ratios).
    public var table: String {
        func fixed(_ value: Double, _ digits: Int) -> String {
            guard value.isFinite else { return "-" }
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            var text = "\(rounded)"
            if let dot = text.firstIndex(of: ".") {
                let decimals = text.distance(from: dot, to: text.endIndex) - 1
                if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            } else if digits > 0 {
                text += "." + String(repeating: "0", count: digits)
            }
            return text
        }
        // Columns as wide as their widest cell, two spaces apart, so large values (bit/s from
        // replay windows) never run into the next column.
        let upper = Self.upperName(quantile)
        var rows = [["method", "MAE", "RMSE", "WAPE%", "sMAPE%", upper + "cov", upper + "pinball"]]
        for entry in methods {
            let m = entry.metrics
            rows.append([entry.method.rawValue, AlignedTable.error(m.mae) ?? fixed(m.mae, 4),
                         AlignedTable.error(m.rmse) ?? fixed(m.rmse, 4), fixed(m.wape * 100, 2),
                         fixed(m.smape * 100, 2), fixed(m.coverage, 3), AlignedTable.error(m.pinball) ?? fixed(m.pinball, 4)])
        }
        let table = AlignedTable.render(rows, title: "\(seriesCount) series, \(steps) one-step forecasts per method; \(EvaluationUnit.phrase(unit))")
        return seasonNote.map { table + "\n" + $0 } ?? table
    }

    /// For the seasonal baselines: how many scored forecasts had a whole season behind them; nil
    /// for the other methods.
    func seasonSteps(_ method: ForecastMethod) -> Int? {
        switch method {
        case .seasonalDay: daySeasonSteps
        case .seasonalWeek: weekSeasonSteps
        default: nil
        }
    }

    /// A line under the table when a seasonal baseline fell back to persistence for some of its
    /// forecasts (no whole season of history before them, or no season at this step); nil when
    /// both had their season for every forecast.
    public var seasonNote: String? {
        guard methods.contains(where: { $0.method == .seasonalDay || $0.method == .seasonalWeek }) else { return nil }
        if daySeasonSteps == 0 && weekSeasonSteps == 0 {
            return "note: no forecast had a whole day or week of history before it (or the step has no season): "
                + "seasonal_day and seasonal_week are persistence's"
        }
        let short = [(ForecastMethod.seasonalDay, "day", daySeasonSteps), (.seasonalWeek, "week", weekSeasonSteps)]
            .filter { $0.2 < steps }
            .map { "\($0.0.rawValue) had a whole \($0.1) of history before \($0.2) of the \(steps) forecasts" }
        guard !short.isEmpty else { return nil }
        return "note: " + short.joined(separator: "; ") + "; the others are persistence's"
    }
}

/// How `evaluate` names the unit of its errors (an MAE of 0.8 means nothing without it).
enum EvaluationUnit {
    static func phrase(_ unit: String?) -> String {
        "MAE, RMSE and pinball in " + (unit ?? "the series' own units")
    }
    static func json(_ unit: String?) -> String {
        unit.map { "\"\($0)\"" } ?? "null"
    }
}

/// The text tables of `evaluate`: a title line, then columns as wide as their widest cell, the
/// first left-aligned and the others right-aligned two spaces apart.
enum AlignedTable {
    /// An error (MAE, RMSE, pinball) too small for four decimals, in four significant digits
    /// ("2.346e-06"), or nil: a series in small units (a fraction, bit/s/Hz per user) read
    /// 0.0000 for every method, which hid which one was better.
    static func error(_ value: Double) -> String? {
        guard value.isFinite, value != 0, abs(value) < 0.000_5 else { return nil }
        return String(format: "%.3e", value)
    }

    static func render(_ rows: [[String]], title: String) -> String {
        let widths = rows.first.map { $0.indices.map { column in rows.map { $0[column].count }.max() ?? 0 } } ?? []
        var lines = [title]
        for row in rows {
            lines.append(row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return column == 0 ? row[column] + padding : "  " + padding + row[column]
            }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
