/// Weighted linear fits on a row-major design matrix: least squares with a ridge penalty, and
/// quantile (pinball-loss) regression by iteratively reweighted least squares.
enum LinearFit {
    /// Solves (Xᵀ W X + λ I) β = Xᵀ W y over the chosen columns; other weights are zero.
    static func ridge(x: [Double], columns d: Int, y: [Double], weights w: [Double], lambda: Double, use: [Int]? = nil) -> [Double] {
        let used = use ?? Array(0..<d)
        let m = used.count
        var a = Array(repeating: 0.0, count: m * m)
        var b = Array(repeating: 0.0, count: m)
        var row = Array(repeating: 0.0, count: m)
        for i in 0..<y.count {
            let wi = w[i]
            if wi == 0 { continue }
            for (j, column) in used.enumerated() { row[j] = x[i * d + column] }
            for j in 0..<m {
                let wj = wi * row[j]
                b[j] += wj * y[i]
                for k in j..<m { a[j * m + k] += wj * row[k] }
            }
        }
        var trace = 0.0
        for j in 0..<m { trace += a[j * m + j] }
        let penalty = lambda * max(trace / Double(max(m, 1)), 1e-12)
        for j in 0..<m {
            for k in 0..<j { a[j * m + k] = a[k * m + j] }
            a[j * m + j] += penalty
        }
        let solution = solve(a, b, size: m)
        var beta = Array(repeating: 0.0, count: d)
        for (j, column) in used.enumerated() { beta[column] = solution[j] }
        return beta
    }

    /// Minimises Σ wᵢ · pinball_τ(rᵢ), rᵢ = yᵢ − xᵢβ (quantile regression), by IRLS: each pass is a
    /// weighted least-squares fit with weights wᵢ · (τ or 1 − τ) / max(|rᵢ|, ε). Deterministic;
    /// converges in a few dozen passes.
    static func quantile(x: [Double], columns d: Int, y: [Double], weights w: [Double], tau: Double,
                         iterations: Int = 30, epsilon: Double = 1e-3, lambda: Double = 1e-6, use: [Int]? = nil) -> [Double] {
        var beta = ridge(x: x, columns: d, y: y, weights: w, lambda: lambda, use: use)
        var irlsWeights = w
        for _ in 0..<iterations {
            for i in 0..<y.count {
                var prediction = 0.0
                for j in 0..<d { prediction += x[i * d + j] * beta[j] }
                let r = y[i] - prediction
                irlsWeights[i] = w[i] * ((r >= 0 ? tau : 1 - tau) / max(abs(r), epsilon))
            }
            beta = ridge(x: x, columns: d, y: y, weights: irlsWeights, lambda: lambda, use: use)
        }
        return beta
    }

    /// Cholesky solve of a symmetric positive definite system; adds jitter if it is not. A system
    /// with a value that is not finite never factors, whatever the jitter (it looped forever on a
    /// series value of 1e300 before series values were bounded): it gets no fit, all zeros, as
    /// does one still not factored when the jitter has grown to 1e11 × its mean diagonal.
    static func solve(_ a: [Double], _ b: [Double], size n: Int) -> [Double] {
        guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return Array(repeating: 0, count: n) }
        var jitter = 0.0
        for _ in 0..<12 {
            var l = Array(repeating: 0.0, count: n * n)
            var ok = true
            outer: for j in 0..<n {
                var diagonal = a[j * n + j] + jitter
                for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
                guard diagonal > 0 else { ok = false; break outer }
                let root = diagonal.squareRoot()
                l[j * n + j] = root
                for i in (j + 1)..<max(n, j + 1) {
                    var sum = a[i * n + j]
                    for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                    l[i * n + j] = sum / root
                }
            }
            if ok {
                var z = Array(repeating: 0.0, count: n)
                for i in 0..<n {
                    var sum = b[i]
                    for k in 0..<i { sum -= l[i * n + k] * z[k] }
                    z[i] = sum / l[i * n + i]
                }
                var x = Array(repeating: 0.0, count: n)
                for i in stride(from: n - 1, through: 0, by: -1) {
                    var sum = z[i]
                    for k in (i + 1)..<max(n, i + 1) { sum -= l[k * n + i] * x[k] }
                    x[i] = sum / l[i * n + i]
                }
                return x
            }
            var trace = 0.0
            for j in 0..<n { trace += abs(a[j * n + j]) }
            jitter = jitter == 0 ? max(trace / Double(max(n, 1)), 1) * 1e-9 : jitter * 100
        }
        return Array(repeating: 0, count: n)
    }
}
