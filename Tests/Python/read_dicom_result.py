"""Reads a RadLens DICOM result with highdicom and pydicom (independent of RadLens) and prints,
as JSON, what the tests compare with the JSON report.

    read_dicom_result.py RESULT.sr.dcm   -> findings, algorithm, observer, references, study and series
    read_dicom_result.py RESULT.sc.dcm   -> study, series, image geometry, references
"""
import json
import sys
import uuid

import highdicom as hd
import pydicom

COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
QUALITATIVE = {"52101004": "positive", "2667000": "negative", "82334004": "indeterminate"}


def text_items(items):
    """TEXT and UIDREF content items by concept code."""
    values = {}
    for item in items:
        code = item.ConceptNameCodeSequence[0].CodeValue
        if item.ValueType == "TEXT":
            values[code] = item.TextValue
        elif item.ValueType == "UIDREF":
            values[code] = item.UID
    return values


def uuid_version(uid):
    """The RFC 9562 version of a 2.25 UID's UUID (None when not a 2.25 UID or not RFC variant)."""
    if not uid.startswith("2.25."):
        return None
    value = uuid.UUID(int=int(uid[5:]))
    return value.version if value.variant == uuid.RFC_4122 else None


def common(ds):
    return {
        "uuidVersions": [uuid_version(ds.SOPInstanceUID), uuid_version(ds.SeriesInstanceUID)],
        "sopClassUID": ds.SOPClassUID,
        "sopInstanceUID": ds.SOPInstanceUID,
        "studyInstanceUID": ds.StudyInstanceUID,
        "seriesInstanceUID": ds.SeriesInstanceUID,
        "patientID": str(ds.get("PatientID", "")),
        "patientName": str(ds.get("PatientName", "")),
        "modality": ds.Modality,
        "contributingEquipment": [
            {"purpose": [c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning] for c in item.PurposeOfReferenceCodeSequence}
            | {"manufacturer": item.Manufacturer, "modelName": item.ManufacturerModelName,
               "softwareVersions": list(item.SoftwareVersions), "deviceUID": item.get("DeviceUID", "")}
            for item in ds.get("ContributingEquipmentSequence", [])
        ],
    }


def read_sr(path):
    sr = hd.sr.srread(path)
    root = hd.sr.ContentSequence.from_sequence([sr], is_root=True, copy=True)
    report = hd.sr.MeasurementReport.from_sequence(root, copy=True)
    findings = []
    for group in report.get_image_measurement_groups():
        finding = group.finding_type
        evaluations = {e.name.value: e.value.value for e in group.get_qualitative_evaluations()}
        probabilities = [float(m.value) / 100 for m in group.get_measurements()
                         if m.name.value == "111012" and m.unit.value == "%"]
        algorithm = text_items(group[0].ContentSequence)
        findings.append({
            "label": group.tracking_identifier,
            "code": finding.value,
            "scheme": finding.scheme_designator,
            "decision": QUALITATIVE.get(evaluations.get(finding.value), "missing"),
            "probability": probabilities[0] if len(probabilities) == 1 else None,
            "algorithmName": algorithm.get("111001"),
            "algorithmVersion": algorithm.get("111003"),
            "algorithmParameters": algorithm.get("111002"),
            "sourceImages": [ref.referenced_sop_instance_uid for ref in group.source_images],
        })
    observer = text_items(item for context in report.get_observer_contexts() for item in context)
    containers = {item.ConceptNameCodeSequence[0].CodeValue: item for item in sr.ContentSequence if item.ValueType == "CONTAINER"}
    return common(sr) | {
        "templateRoot": sr.ContentTemplateSequence[0].TemplateIdentifier,
        "verificationFlag": sr.VerificationFlag,
        "findings": findings,
        "deviceObserverUID": observer.get("121012"),
        "imageLibrary": [
            item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
            for group in containers["111028"].get("ContentSequence", [])
            for item in group.get("ContentSequence", []) if item.ValueType == "IMAGE"
        ],
        "comments": [item.TextValue for item in containers["C0034375"].ContentSequence],
        "evidence": [
            sop.ReferencedSOPInstanceUID
            for study in sr.get("CurrentRequestedProcedureEvidenceSequence", [])
            for series in study.ReferencedSeriesSequence
            for sop in series.ReferencedSOPSequence
        ],
    }


def read_sc(path):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    return common(ds) | {
        "rows": ds.Rows, "columns": ds.Columns, "samplesPerPixel": ds.SamplesPerPixel,
        "photometricInterpretation": ds.PhotometricInterpretation,
        "burnedInAnnotation": ds.get("BurnedInAnnotation", ""),
        "shape": list(pixels.shape),
        "sourceImages": [item.ReferencedSOPInstanceUID for item in ds.get("SourceImageSequence", [])],
    }


if __name__ == "__main__":
    path = sys.argv[1]
    sop_class = pydicom.dcmread(path, stop_before_pixels=True).SOPClassUID
    print(json.dumps(read_sr(path) if sop_class == COMPREHENSIVE_3D_SR else read_sc(path), indent=1))
