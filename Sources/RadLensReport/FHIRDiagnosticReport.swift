import Foundation

/// An analysis as a FHIR R4 DiagnosticReport with contained Observations (one per finding) and
/// the Device (RadLens and its model) that produced them. No patient is referenced.
public enum FHIRDiagnosticReport {
    public static func json(_ report: AnalysisReport, language: ReportLanguage) throws -> Data {
        let deviceID = "radlens"
        var observations: [[String: Any]] = []
        for (index, finding) in report.findings.enumerated() {
            let interpretation: (String, String) = switch finding.decision {
            case .positive: ("POS", "Positive")
            case .negative: ("NEG", "Negative")
            case .indeterminate: ("IND", "Indeterminate")
            }
            observations.append([
                "resourceType": "Observation",
                "id": "finding-\(index + 1)",
                "status": "preliminary",
                "category": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "imaging", "display": "Imaging"]]]],
                "code": [
                    "coding": finding.codes.map { ["system": $0.system, "code": $0.code, "display": $0.display] },
                    "text": finding.display,
                ] as [String: Any],
                "valueQuantity": ["value": (finding.probability * 10000).rounded() / 10000, "unit": "probability",
                                  "system": "http://unitsofmeasure.org", "code": "1"] as [String: Any],
                "interpretation": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                                "code": interpretation.0, "display": interpretation.1]]]],
                "device": ["reference": "#\(deviceID)"],
                "note": [["text": "Calibrated model probability; decision threshold \(finding.threshold), indeterminate band [\(finding.indeterminateLow), \(finding.indeterminateHigh)). \(report.disclaimer)"]],
            ])
        }
        var device: [String: Any] = [
            "resourceType": "Device",
            "id": deviceID,
            "deviceName": [["name": "RadLens", "type": "user-friendly-name"]],
            "version": [["value": report.provenance.radlensVersion]],
            "note": [["text": report.disclaimer]],
        ]
        if let model = report.model {
            device["deviceName"] = [["name": "RadLens", "type": "user-friendly-name"],
                                    ["name": "\(model.name) \(model.version)", "type": "model-name"]]
            device["version"] = [["value": report.provenance.radlensVersion], ["value": "\(model.name) \(model.version) sha256:\(model.sha256)"]]
        }
        var resource: [String: Any] = [
            "resourceType": "DiagnosticReport",
            "id": String((report.input.sha256 ?? "unknown").prefix(32)),
            "contained": [device] + observations,
            "status": report.status == .ok ? "preliminary" : "cancelled",
            "category": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD", "display": "Radiology"]]]],
            "code": ["coding": [["system": "http://loinc.org", "code": "18748-4", "display": "Diagnostic imaging study"]],
                     "text": "Automated chest radiograph analysis (research use only)"] as [String: Any],
            "issued": report.provenance.generatedAt,
            "result": observations.map { ["reference": "#\($0["id"]!)"] },
        ]
        if let text = report.report {
            resource["conclusion"] = text
            resource["presentedForm"] = [["contentType": "text/plain; charset=utf-8", "language": language.rawValue,
                                          "data": Data(text.utf8).base64EncodedString(), "title": "RadLens report"]]
        }
        let positive = report.findings.filter { $0.decision == .positive }.flatMap { finding in finding.codes.prefix(1) }
        if !positive.isEmpty {
            resource["conclusionCode"] = positive.map { ["coding": [["system": $0.system, "code": $0.code, "display": $0.display]]] }
        }
        if let uid = report.input.study?.studyInstanceUID {
            resource["identifier"] = [["system": "urn:dicom:uid", "value": "urn:oid:\(uid)"]]
        }
        return try JSONSerialization.data(withJSONObject: resource, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
