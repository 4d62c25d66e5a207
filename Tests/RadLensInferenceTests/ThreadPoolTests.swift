import Foundation
@testable import RadLensInference
import Synchronization
import Testing

/// The pool every parallel layer runs on: each task of a loop runs exactly once, and its
/// writes are visible when `parallelFor` returns, whether the workers are spinning, asleep, or
/// too late to join a loop the caller has already finished.
@Suite struct ThreadPoolTests {
    /// Runs `loops` loops of 1...maxTasks tasks and counts those whose tasks did not each write
    /// their slot exactly once, or ran on a thread not taking part; `pause` runs between loops.
    /// `participants(loop)` sets how many threads take part in each loop (default: all).
    static func loopsWithLostOrRepeatedTasks(threads: Int, loops: Int, maxTasks: Int, participants: (Int) -> Int? = { _ in nil },
                                             pause: () -> Void) -> Int {
        let pool = ThreadPool(threads: threads)
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: maxTasks)
        let workers = UnsafeMutableBufferPointer<Int>.allocate(capacity: maxTasks)
        defer { runs.deallocate(); workers.deallocate() }
        var failed = 0
        for loop in 0..<loops {
            let count = 1 + loop % maxTasks
            pool.participants = participants(loop) ?? threads
            runs.initialize(repeating: 0)
            workers.initialize(repeating: 0)
            pool.parallelFor(count) { task, worker in
                runs[task] += 1
                workers[task] = worker
            }
            if runs[0..<count].contains(where: { $0 != 1 }) || runs[count...].contains(where: { $0 != 0 })
                || workers[0..<count].contains(where: { $0 >= pool.participants }) {
                failed += 1
            }
            pause()
        }
        return failed
    }

    @Test(arguments: [2, 3, 4])
    func everyTaskRunsOnceBackToBack(threads: Int) {
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: threads, loops: 20_000, maxTasks: 17, pause: {}) == 0)
    }

    /// Loops on fewer threads than the pool has (a cold start's first image leaves a core to
    /// the model's hash) use only the first threads, and every task still runs once.
    @Test func everyTaskRunsOnceOnFewerThreads() {
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: 4, loops: 20_000, maxTasks: 17, participants: { 1 + $0 % 4 }, pause: {}) == 0)
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: 3, loops: 200, maxTasks: 5, participants: { 1 + $0 % 3 }, pause: { usleep(1_500) }) == 0)
    }

    /// A pool starts a worker thread only when a loop uses it: a cold start's first image,
    /// classified on fewer threads than the pool has, starts none it does not need.
    @Test func workersStartWithTheFirstLoopThatUsesThem() {
        let pool = ThreadPool(threads: 4)
        #expect(pool.startedWorkers == 0)
        for (participants, started) in [(1, 0), (3, 2), (2, 2), (4, 3)] {
            pool.participants = participants
            let sum = Atomic<Int>(0)
            pool.parallelFor(64) { task, _ in sum.add(task, ordering: .relaxed) }
            #expect(sum.load(ordering: .relaxed) == 64 * 63 / 2)
            #expect(pool.startedWorkers == started, "\(participants) participants")
        }
    }

    /// A worker asleep since its last loop is woken for the next one it takes part in: the
    /// caller's task waits (up to 2 s) for the other task to be taken by another thread.
    @Test func sleepingWorkersAreWokenForLoopsTheyTakePartIn() {
        let pool = ThreadPool(threads: 2)
        let secondTaskRunner = Atomic<Int>(-1)
        for participants in [1, 2, 1, 2] {
            pool.participants = participants
            usleep(5_000)  // Longer than a worker's spin: it sleeps now.
            secondTaskRunner.store(-1, ordering: .relaxed)
            pool.parallelFor(2) { task, worker in
                if task == 1 {
                    secondTaskRunner.store(worker, ordering: .releasing)
                } else if participants == 2 {
                    let deadline = ContinuousClock.now + .seconds(2)
                    while secondTaskRunner.load(ordering: .acquiring) < 0 && ContinuousClock.now < deadline {}
                }
            }
            #expect(secondTaskRunner.load(ordering: .acquiring) == (participants == 2 ? 1 : 0))
        }
    }

    /// Workers fall asleep between these loops (their spin is about 0.25-0.6 ms), so most loops
    /// are finished by the caller before a worker wakes, and the late worker must stay out.
    @Test(arguments: [2, 3])
    func everyTaskRunsOnceWhenWorkersWakeLate(threads: Int) {
        #expect(Self.loopsWithLostOrRepeatedTasks(threads: threads, loops: 300, maxTasks: 5, pause: { usleep(1_500) }) == 0)
    }
}
