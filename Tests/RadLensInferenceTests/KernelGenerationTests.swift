import Foundation
import RadLensTestSupport
import Testing

/// The kernel sources of every level are what Tools/kernels/generate.py makes from the
/// templates and levels.json: nobody edited a generated file, and nobody forgot to regenerate.
@Suite struct KernelGenerationTests {
    @Test(.needsPython) func regenerationGivesNoDiff() throws {
        let python = try #require(TestPaths.python)
        let run = try ProcessRunner.run(python, [TestPaths.repository.appendingPathComponent("Tools/kernels/generate.py").path, "--check"])
        #expect(run.status == 0, "\(run.stdoutText)\(run.stderr)")
    }
}
