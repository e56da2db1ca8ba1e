/// The release every output names (`flowcast --version`, a policy's `provenance.generator`), kept
/// in one place so a replay's, a live tap's and a planner's policies carry it as `plan`'s do.
public enum FlowcastVersion {
    public static let current = "0.1.0"
}
