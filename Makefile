# RadLens: `make demo` and `make test` do all set-up on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# System packages: C libraries we bind, and the independent reference tools the tests run.
APT_PACKAGES := pkg-config libpng-dev libturbojpeg0-dev libjpeg-turbo-progs netpbm libopenjp2-7-dev libcharls-dev libcurl4-openssl-dev dcmtk zlib1g-dev
TEST_APT_PACKAGES = $(SLURM_PACKAGES) dpkg-dev $(DICOM_VALIDATOR_PACKAGES) $(PACS_PACKAGES)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_VENV := .venv-test
TRAIN_VENV := .venv-train
RADLENS := .build/release/radlens
# make install: where (PREFIX) and under which staging root (DESTDIR, for packaging).
PREFIX ?= /usr/local
DESTDIR ?=
# The validators every DICOM result (SR, SC) must pass: dciodvfy and PixelMed's DicomSRValidator.
DICOM_VALIDATOR_PACKAGES := dicom3tools libpixelmed-java default-jre-headless
# A real PACS for the DICOMweb test (Orthanc and its DICOMweb plugin; curl loads it independently;
# socat and openssl put it behind TLS with a throw-away CA).
PACS_PACKAGES := orthanc orthanc-dicomweb curl socat openssl
# Slurm (single node, plain daemons) for the scheduler test; dpkg-dev for make deb.
SLURM_PACKAGES := slurmctld slurmd slurm-client munge
NORMAL_SAMPLE := SampleImages/child-normal-IM-0061-0001.jpeg
PNEUMONIA_SAMPLE := SampleImages/child-pneumonia-person38_virus_84.jpeg
ADULT_SAMPLE := SampleImages/chest-pa-cr.jpeg

.PHONY: help demo test build install uninstall deb deps test-deps apt-install test-venv train-venv asan fixtures samples bench bench-engine bench-decode bench-pipeline train report-screenshot clean

help:
	@echo "make demo     install what is missing, build release, analyze a sample image"
	@echo "make test     install what is missing, run the whole test suite"
	@echo "make install  build release and install into PREFIX=$(PREFIX) (DESTDIR for staging); make uninstall"
	@echo "make deb      a Debian package (build-artifacts/radlens_VERSION_ARCH.deb)"
	@echo "make asan     run the decoder and engine tests under AddressSanitizer"
	@echo "make fixtures regenerate Tests/Fixtures (synthetic PNG/JPEG, CMYK JPEG and malformed corpus; DICOM: see Tests/Fixtures/dicom/README.md)"
	@echo "make samples  regenerate SampleImages from the pydicom-data package"
	@echo "make bench    engine vs ONNX Runtime, decode vs djpeg/Pillow, pipeline vs Python (Benchmarks/README.md)"
	@echo "make train    train the shipped model (PyTorch, CPU, about an hour; Training/README.md)"

## Installs the Debian packages that are not there yet (apt-get, as root or with sudo).
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

## What only the tests need on top (the Slurm scheduler test, the DICOM validators, Orthanc).
test-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"

apt-install:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## The Python venv the tests use for reference checks (numpy, Pillow, ONNX Runtime, pydicom, FHIR).
test-venv: $(TEST_VENV)/.installed
$(TEST_VENV)/.installed: Tests/requirements.txt
	python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
	touch $@

## The training venv (PyTorch; large, never needed by `make test`).
train-venv: $(TRAIN_VENV)/.installed
$(TRAIN_VENV)/.installed: Training/requirements.txt
	python3 -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install -q --disable-pip-version-check -r Training/requirements.txt
	touch $@

## Release build with the Swift runtime and Foundation linked statically: the binary needs only
## Debian's libpng, libturbojpeg, libopenjp2, libcharls and zlib (and glibc, libstdc++).
build: deps
	swift build -c release --product radlens --static-swift-stdlib

## Installs what `make build` made (so `make build && sudo make install` builds as you, installs as root).
install:
	@test -x $(RADLENS) || $(MAKE) --no-print-directory build
	Tools/install.sh "$(DESTDIR)" "$(PREFIX)"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/radlens"
	rm -rf "$(DESTDIR)$(PREFIX)/share/radlens" "$(DESTDIR)$(PREFIX)/share/doc/radlens"

deb: build
	@command -v dpkg-shlibdeps >/dev/null || $(MAKE) --no-print-directory apt-install PACKAGES=dpkg-dev
	Tools/make_deb.sh

## Three reports, a screen each: a normal child's film, a pneumonia, and an adult film the model refuses.
demo: build
	@printf '\n== 1/3 A normal paediatric chest film: radlens analyze $(NORMAL_SAMPLE)\n\n'
	@$(RADLENS) analyze $(NORMAL_SAMPLE)
	@printf '\n== 2/3 Pneumonia: radlens analyze $(PNEUMONIA_SAMPLE)\n\n'
	@$(RADLENS) analyze $(PNEUMONIA_SAMPLE)
	@printf '\n== 3/3 An adult film, outside the model'"'"'s intended use, is refused: radlens analyze $(ADULT_SAMPLE)\n\n'
	@$(RADLENS) analyze $(ADULT_SAMPLE)
	@printf '\nMore: radlens analyze FILE --format html --output reports/   (page with heatmap); radlens --help\n'

## The release binary is built too: the install, Debian package and Slurm tests use it.
test: deps test-deps test-venv build
	swift build --build-tests
	RADLENS_TEST_PYTHON=$(CURDIR)/$(TEST_VENV)/bin/python swift test --skip-build

## Decoder tests with AddressSanitizer on the Swift code and the C shim.
asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt swift test --sanitize=address --scratch-path .build-asan --filter 'MalformedInputTests|PNGDecodeTests|PNGEncodeTests|JPEGDecodeTests|RadLensDICOMTests|ModelParityTests|BadModelTests'

fixtures: test-venv
	python3 Tests/Fixtures/make_fixtures.py
	$(TEST_VENV)/bin/python Tests/Fixtures/make_cmyk_fixtures.py

bench: bench-engine bench-decode bench-pipeline

bench-engine: deps test-venv
	swift build -c release --product radlens --static-swift-stdlib
	$(TEST_VENV)/bin/python Benchmarks/engine_bench.py

bench-decode: deps test-venv
	swift build -c release --product radlens-decode-bench --static-swift-stdlib
	$(TEST_VENV)/bin/python Benchmarks/decode_bench.py

bench-pipeline: deps test-venv
	swift build -c release --product radlens --static-swift-stdlib
	$(TEST_VENV)/bin/python Benchmarks/pipeline_bench.py

## The HTML report of a sample in headless Chromium (Debian chromium), saved as a screenshot.
report-screenshot: build
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	Tools/report_screenshot.sh

## The full recipe of Training/README.md: three seeds, export, calibration, test figures.
train: train-venv
	for seed in 0 1 2; do RADLENS_THREADS=1 $(TRAIN_VENV)/bin/python Training/train.py --seed $$seed; done
	$(TRAIN_VENV)/bin/python Training/export.py --latency
	$(TRAIN_VENV)/bin/python Training/calibrate.py
	$(TRAIN_VENV)/bin/python Training/evaluate.py

samples: test-venv
	$(TEST_VENV)/bin/python SampleImages/make_samples.py

clean:
	rm -rf .build .build-asan
