internal import FlowcastPolicy
internal import FlowcastTopology
/// Thresholds that decide what a diff shows.
///
/// Tolerances decide what counts as a change at all (rounding noise); thresholds hide real but
/// small changes and count them in `PolicyDiff.hidden`.
public struct DiffOptions: Codable, Hashable, Sendable {
    /// Path weights closer than this are equal (documents round weights to 4 decimals).
    public var weightTolerance: Double
    /// Utilisations closer than this are equal.
    public var utilisationTolerance: Double
    /// Hide a rerouted demand when less than this share of its traffic moves (0…1).
    public var minWeightChange: Double
    /// Hide a reallocated cell when fewer than this many blocks are gained plus lost.
    public var minBlocks: Int
    /// Hide a link whose predicted utilisation moves by less than this (0…1, absolute), and leave
    /// such a cell out of the impact.
    public var minUtilisationChange: Double

    public init(weightTolerance: Double = 0.001, utilisationTolerance: Double = 0.0005, minWeightChange: Double = 0,
                minBlocks: Int = 0, minUtilisationChange: Double = 0) {
        self.weightTolerance = weightTolerance
        self.utilisationTolerance = utilisationTolerance
        self.minWeightChange = minWeightChange
        self.minBlocks = minBlocks
        self.minUtilisationChange = minUtilisationChange
    }
}
