import Foundation
@testable import RadLensInference
import Testing

/// The pool every parallel layer runs on: each task of a loop runs exactly once, and its
/// writes are visible when `parallelFor` returns, whether the workers are spinning, asleep, or
/// too late to join a loop the caller has already finished.
@Suite struct ThreadPoolTests {
    /// Runs `loops` loops of 1...maxTasks tasks and returns the loops whose tasks did not each
    /// write their slot exactly once; `pause` runs between loops.
    static func loopsWithLostOrRepeatedTasks(threads: Int, loops: Int, maxTasks: Int, pause: () -> Void) -> [Int] {
        let pool = ThreadPool(threads: threads)
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: maxTasks)
        defer { runs.deallocate() }
        var failed: [Int] = []
        for loop in 0..<loops {
            let count = 1 + loop % maxTasks
            runs.initialize(repeating: 0)
            pool.parallelFor(count) { task, _ in runs[task] += 1 }
            if runs[0..<count].contains(where: { $0 != 1 }) || runs[count...].contains(where: { $0 != 0 }) {
                failed.append(loop)
            }
            pause()
        }
        return failed
    }

    @Test(arguments: [2, 3, 4])
    func everyTaskRunsOnceBackToBack(threads: Int) {
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: threads, loops: 20_000, maxTasks: 17, pause: {}) == [])
    }

    /// Workers fall asleep between these loops (their spin is about 0.25-0.6 ms), so most loops
    /// are finished by the caller before a worker wakes, and the late worker must stay out.
    @Test(arguments: [2, 3])
    func everyTaskRunsOnceWhenWorkersWakeLate(threads: Int) {
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: threads, loops: 300, maxTasks: 5, pause: { usleep(1_500) }) == [])
    }
}
