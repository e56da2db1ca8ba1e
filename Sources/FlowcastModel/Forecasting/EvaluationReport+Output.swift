extension EvaluationReport {
    /// The report as one JSON object: `{"series": N, "steps": N, "methods": [{"name": …, "mae": …, …}]}`.
    /// Ratios (WAPE, sMAPE, coverage) are fractions, errors are in the series' units.
    public var json: String {
        func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
        let methods = self.methods.map { entry in
            let m = entry.metrics
            return "{\"name\": \"\(entry.method.rawValue)\", \"mae\": \(number(m.mae)), \"rmse\": \(number(m.rmse)), "
                + "\"wape\": \(number(m.wape)), \"smape\": \(number(m.smape)), \"p90_coverage\": \(number(m.coverage)), "
                + "\"p90_pinball\": \(number(m.pinball))}"
        }
        return "{\"series\": \(seriesCount), \"steps\": \(steps), \"methods\": [" + methods.joined(separator: ", ") + "]}"
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
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + padding : padding + text
        }
        var lines = ["\(seriesCount) series, \(steps) one-step forecasts per method"]
        lines.append(pad("method", 14, left: true) + pad("MAE", 11) + pad("RMSE", 11) + pad("WAPE%", 8) + pad("sMAPE%", 8)
                     + pad("P90cov", 8) + pad("P90pinball", 12))
        for entry in methods {
            let m = entry.metrics
            lines.append(pad(entry.method.rawValue, 14, left: true) + pad(fixed(m.mae, 4), 11) + pad(fixed(m.rmse, 4), 11)
                         + pad(fixed(m.wape * 100, 2), 8) + pad(fixed(m.smape * 100, 2), 8) + pad(fixed(m.coverage, 3), 8)
                         + pad(fixed(m.pinball, 4), 12))
        }
        return lines.joined(separator: "\n")
    }
}
