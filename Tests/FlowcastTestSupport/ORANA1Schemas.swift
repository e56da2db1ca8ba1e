public import Foundation

/// The O-RAN A1 policy type schemas as published (../shared/schemas/oran-a1), applied by a real
/// JSON Schema validator: Python's `jsonschema` (Debian's python3-jsonschema), run as a subprocess.
public enum ORANA1Schemas {
    /// `../shared/schemas/oran-a1`, when present.
    public static var folder: URL? {
        guard let url = Fixtures.shared?.appendingPathComponent("schemas/oran-a1"),
              FileManager.default.fileExists(atPath: url.appendingPathComponent("policy_schema_traffic_steering_preference.json").path)
        else { return nil }
        return url
    }

    /// True when the schemas are there to validate against (the tests skip otherwise).
    public static var available: Bool { folder != nil }

    /// What a file of `flowcast export --to a1` breaks: each policy's `policyObject` against
    /// ORAN_TrafficSteeringPreference_2.0.0 and its `scope` against the scope identifiers, with
    /// the number of policies checked. Throws when Python or `jsonschema` is missing.
    public static func check(exports paths: [String]) throws -> (policies: Int, problems: [String]) {
        guard let folder else { return (0, ["../shared/schemas/oran-a1 is absent"]) }
        let script = """
            import json, sys
            from jsonschema import Draft7Validator
            folder = sys.argv[1]
            schemas = [json.load(open(folder + "/" + name)) for name in
                       ("policy_schema_traffic_steering_preference.json", "policy_scope_identifier.json")]
            for schema in schemas:
                Draft7Validator.check_schema(schema)
            tsp, scope = (Draft7Validator(s) for s in schemas)
            problems, count = [], 0
            def report(path, where, errors):
                for e in errors:
                    problems.append(f"{path}: {where}{''.join(f'[{p!r}]' for p in e.absolute_path)}: {e.message}")
            for path in sys.argv[2:]:
                doc = json.load(open(path))
                if doc.get("policyTypeId") != "ORAN_TrafficSteeringPreference_2.0.0":
                    problems.append(f"{path}: policyTypeId is {doc.get('policyTypeId')!r}")
                for i, policy in enumerate(doc.get("policies", [])):
                    count += 1
                    obj = policy.get("policyObject")
                    report(path, f"policies[{i}].policyObject", tsp.iter_errors(obj))
                    report(path, f"policies[{i}].policyObject", scope.iter_errors({"scope": (obj or {}).get("scope")}))
            print(json.dumps({"policies": count, "problems": problems}))
            """
        let run = try ChildProcess.run("/usr/bin/env", ["python3", "-c", script, folder.path] + paths, timeout: 120)
        let outData = Data(run.stdout.utf8)
        struct Result: Decodable { var policies: Int; var problems: [String] }
        guard run.status == 0, let result = try? JSONDecoder().decode(Result.self, from: outData) else {
            throw ValidatorFailure(message: "python3 with jsonschema (Debian: python3-jsonschema) failed: "
                                   + run.stderr)
        }
        return (result.policies, result.problems)
    }

    public struct ValidatorFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
