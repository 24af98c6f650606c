# Loaded by CPack for a build made with VIGIL_TEST_KDF, VIGIL_SANITIZE or VIGIL_FUZZ.
message(FATAL_ERROR "refusing to package a test, sanitizer or fuzzing build: "
	"configure a build directory without VIGIL_TEST_KDF, VIGIL_SANITIZE and VIGIL_FUZZ "
	"(packaging/deb.sh does)")
