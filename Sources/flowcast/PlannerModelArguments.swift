import ArgumentParser

/// `--model` and `--efficiency-model` of the commands that plan every interval (`replay
/// --plan-every`, `live`, `planner`), read by `PlannerModels` in each. `plan --series` has its own
/// wording: its interval comes from the model, not from `--plan-every`.
struct PlannerModelArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Model file from `flowcast train` (without one: persistence, named as such in every forecast); "
        + "a model from `train --horizon` the --plan-every plans each interval from the forecast of its mean and band."))
    var model: String?
    @Option(help: ArgumentHelp("For cells with radio KPI logs: an efficiency model from `train --target se --horizon` the "
        + "--plan-every; without one, the mean of the last max(60 s, 2 × interval) of CQI reports."))
    var efficiencyModel: String?
}
