/// The policy document's JSON Schema, embedded so validation needs no file lookup at run time.
/// `policies/schema/policy.schema.json` is the same text; a test keeps the two identical.
enum PolicySchema {
    static let text = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://flowcast.example/policies/schema/policy.schema.json",
  "title": "Flowcast policy document",
  "type": "object",
  "required": ["schemaVersion", "provenance", "routing", "spectrum", "predicted"],
  "additionalProperties": false,
  "properties": {
    "schemaVersion": { "type": "integer", "const": 1 },
    "provenance": {
      "type": "object",
      "required": ["inputDigest", "topologyDigest", "generator"],
      "additionalProperties": false,
      "properties": {
        "inputDigest": { "$ref": "#/$defs/digest" },
        "topologyDigest": { "$ref": "#/$defs/digest" },
        "modelId": { "type": "string" },
        "modelDigest": { "$ref": "#/$defs/digest" },
        "window": {
          "type": "object",
          "required": ["start", "end"],
          "additionalProperties": false,
          "properties": { "start": { "type": "string" }, "end": { "type": "string" } }
        },
        "generator": { "type": "string", "minLength": 1 },
        "missingSites": { "type": "array", "items": { "type": "string", "minLength": 1 } },
        "currentDigest": { "$ref": "#/$defs/digest" }
      }
    },
    "routing": {
      "type": "object",
      "required": ["method", "status", "maxUtilisation", "scenarios", "churnPenalty", "demands"],
      "additionalProperties": false,
      "properties": {
        "method": { "enum": ["exact-lp"] },
        "status": { "$ref": "#/$defs/status" },
        "maxUtilisation": { "type": "number", "minimum": 0 },
        "scenarios": { "type": "integer", "minimum": 1 },
        "churnPenalty": { "type": "number", "minimum": 0 },
        "targetUtilisation": { "type": "number", "minimum": 0, "maximum": 1 },
        "demands": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["id", "source", "destination", "forecast", "paths", "reason"],
            "additionalProperties": false,
            "properties": {
              "id": { "$ref": "#/$defs/id" },
              "source": { "$ref": "#/$defs/id" },
              "destination": { "$ref": "#/$defs/id" },
              "prefix": { "type": "string", "minLength": 1 },
              "forecast": { "$ref": "#/$defs/forecast" },
              "paths": {
                "type": "array",
                "minItems": 1,
                "items": {
                  "type": "object",
                  "required": ["links", "nodes", "weight"],
                  "additionalProperties": false,
                  "properties": {
                    "links": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/id" } },
                    "nodes": { "type": "array", "minItems": 2, "items": { "$ref": "#/$defs/id" } },
                    "nextHop": { "type": "string", "minLength": 1 },
                    "weight": { "type": "number", "minimum": 0, "maximum": 1 }
                  }
                }
              },
              "reason": { "$ref": "#/$defs/reason" }
            }
          }
        }
      }
    },
    "spectrum": {
      "type": "object",
      "required": ["method", "status", "gapToLPRelaxation", "headroom", "note", "cells"],
      "additionalProperties": false,
      "properties": {
        "method": { "enum": ["exact-mip", "greedy-heuristic"] },
        "status": { "$ref": "#/$defs/status" },
        "gapToLPRelaxation": { "type": "number", "minimum": 0 },
        "headroom": { "type": "number", "minimum": 1 },
        "note": { "type": "string" },
        "cells": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["id", "band", "blocks", "requiredBlocks", "bandwidthMHz", "carriersMHz", "neighbours", "capacity", "unmetDemand", "forecast", "reason"],
            "additionalProperties": false,
            "properties": {
              "id": { "$ref": "#/$defs/id" },
              "band": { "$ref": "#/$defs/id" },
              "blocks": { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 4095 } },
              "requiredBlocks": { "type": "integer", "minimum": 0 },
              "bandwidthMHz": { "type": "number", "minimum": 0 },
              "carriersMHz": {
                "type": "array",
                "items": { "type": "array", "minItems": 2, "items": { "type": "number", "minimum": 0 } }
              },
              "neighbours": { "type": "array", "items": { "$ref": "#/$defs/id" } },
              "capacity": { "type": "number", "minimum": 0 },
              "unmetDemand": { "type": "number", "minimum": 0 },
              "forecast": { "$ref": "#/$defs/forecast" },
              "reason": { "$ref": "#/$defs/reason" },
              "globalId": { "type": "string", "pattern": "^(ecgi|ncgi):[0-9]{3}-[0-9]{2,3}-[0-9]+$" },
              "slice": {
                "type": "object",
                "required": ["sst"],
                "additionalProperties": false,
                "properties": {
                  "sst": { "type": "integer", "minimum": 0, "maximum": 255 },
                  "sd": { "type": "string", "pattern": "^[0-9A-Fa-f]{6}$" }
                }
              }
            }
          }
        }
      }
    },
    "predicted": {
      "type": "object",
      "required": ["links", "cells"],
      "additionalProperties": false,
      "properties": {
        "links": { "type": "array", "items": { "$ref": "#/$defs/load" } },
        "cells": { "type": "array", "items": { "$ref": "#/$defs/load" } }
      }
    }
  },
  "$defs": {
    "id": { "type": "string", "minLength": 1 },
    "reason": { "type": "string", "minLength": 1 },
    "digest": { "type": "string", "pattern": "^sha256:[0-9a-f]{64}$" },
    "status": { "enum": ["optimal", "time-limit"] },
    "forecast": {
      "type": "object",
      "required": ["point", "upper", "source"],
      "additionalProperties": false,
      "properties": {
        "point": { "type": "number", "minimum": 0 },
        "upper": { "type": "number", "minimum": 0 },
        "spectralEfficiency": { "type": "number", "minimum": 0 },
        "source": { "type": "string" }
      }
    },
    "load": {
      "type": "object",
      "required": ["id", "load", "capacity", "utilisation"],
      "additionalProperties": false,
      "properties": {
        "id": { "$ref": "#/$defs/id" },
        "load": { "type": "number", "minimum": 0 },
        "capacity": { "type": "number", "minimum": 0 },
        "utilisation": { "type": "number", "minimum": 0 }
      }
    }
  }
}
"""#
}
