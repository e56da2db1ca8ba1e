internal import FlowcastCore
import Foundation

/// JSON Schema of the `a1` export: a list of ORAN_TrafficSteeringPreference_2.0.0 policies, each
/// with Flowcast's `policyId` and `reason` around a `policyObject` shaped as O-RAN.WG2.A1TD defines
/// it (slice-scoped, cells by PLMN and numeric ECI / NCI). Exports are checked against it before
/// they are returned. It is the standard type narrowed to what Flowcast writes (the scope always
/// names a slice and a cell) and written in the keywords `SchemaValidator` knows, so the standard's
/// `oneOf` between `ecI` and `ncI` is checked by the tests against the published schema instead.
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
    "policies": { "type": "array", "items": { "$ref": "#/$defs/policy" } },
    "unsteered": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "required": ["cell", "reason"],
        "additionalProperties": false,
        "properties": { "cell": { "type": "string" }, "reason": { "type": "string" } }
      }
    }
  },
  "$defs": {
    "plmnId": {
      "type": "object",
      "required": ["mcc", "mnc"],
      "additionalProperties": false,
      "properties": {
        "mcc": { "type": "string", "pattern": "^[0-9]{3}$" },
        "mnc": { "type": "string", "pattern": "^[0-9]{2,3}$" }
      }
    },
    "sliceId": {
      "type": "object",
      "required": ["sst", "plmnId"],
      "additionalProperties": false,
      "properties": {
        "sst": { "type": "integer", "minimum": 0, "maximum": 255 },
        "sd": { "type": "string", "pattern": "^[A-Fa-f0-9]{6}$" },
        "plmnId": { "$ref": "#/$defs/plmnId" }
      }
    },
    "cellId": {
      "type": "object",
      "required": ["plmnId", "cId"],
      "additionalProperties": false,
      "properties": {
        "plmnId": { "$ref": "#/$defs/plmnId" },
        "cId": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "ecI": { "type": "integer", "minimum": 0, "maximum": 268435455 },
            "ncI": { "type": "integer", "minimum": 0, "maximum": 68719476735 }
          }
        }
      }
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
              "required": ["sliceId", "cellId"],
              "additionalProperties": false,
              "properties": {
                "sliceId": { "$ref": "#/$defs/sliceId" },
                "cellId": { "$ref": "#/$defs/cellId" }
              }
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
