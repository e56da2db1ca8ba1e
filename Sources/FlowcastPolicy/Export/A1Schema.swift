internal import FlowcastCore
import Foundation

/// JSON Schema of the `a1` export: a list of policies shaped like O-RAN's
/// ORAN_TrafficSteeringPreference_2.0.0 (scope by cell id, `tspResources` with a cell list and a
/// preference), plus Flowcast's `reason`. Exports are checked against it before they are returned.
enum A1Schema {
    static let text = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://flowcast.example/policies/schema/a1-traffic-steering.schema.json",
  "title": "Flowcast A1 export (ORAN_TrafficSteeringPreference_2.0.0 policies)",
  "type": "object",
  "required": ["policyTypeId", "policies"],
  "additionalProperties": false,
  "properties": {
    "policyTypeId": { "type": "string", "const": "ORAN_TrafficSteeringPreference_2.0.0" },
    "policies": { "type": "array", "items": { "$ref": "#/$defs/policy" } }
  },
  "$defs": {
    "cellId": {
      "type": "object",
      "required": ["cId"],
      "additionalProperties": false,
      "properties": { "cId": { "type": "string", "minLength": 1 } }
    },
    "policy": {
      "type": "object",
      "required": ["policyId", "policyObject", "reason"],
      "additionalProperties": false,
      "properties": {
        "policyId": { "type": "string", "pattern": "^flowcast-.+$" },
        "reason": { "type": "string", "minLength": 1 },
        "policyObject": {
          "type": "object",
          "required": ["scope", "tspResources"],
          "additionalProperties": false,
          "properties": {
            "scope": {
              "type": "object",
              "required": ["cellId"],
              "additionalProperties": false,
              "properties": { "cellId": { "$ref": "#/$defs/cellId" } }
            },
            "tspResources": {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "object",
                "required": ["cellIdList", "preference"],
                "additionalProperties": false,
                "properties": {
                  "cellIdList": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/cellId" } },
                  "preference": { "type": "string", "enum": ["SHALL", "PREFER", "AVOID", "FORBID"] }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""#

    static let validator: SchemaValidator = {
        let schema = try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        return SchemaValidator(schema: schema)
    }()

    /// Violations of an A1 export's JSON text (empty when it conforms).
    static func violations(of json: String) -> [SchemaValidator.Violation] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
            return [SchemaValidator.Violation(field: "$", message: "not JSON")]
        }
        return validator.violations(of: value)
    }
}
