/*
 * Test-only switch that breaks one rule of the reference at a time, so the
 * conformance suite can prove it notices (compat/README.md). Build with
 * -DEG_TESTING -DEG_MUTATION=<name>; normal builds compile every
 * EG_MUTATED(...) to 0 and the broken branches away.
 *
 *   LAST_ERROR_WINS  every error replaces the recorded one
 *   LIFO_ADMISSION   blocked go callers are admitted newest first
 *   TRYGO_BARGES     a freed slot is not handed to the oldest waiter: it is
 *                    freed, the waiter must retake it, and try-go may win
 *   WAIT_NO_CANCEL   wait does not cancel the group's context
 *   DROP_CAUSE       contexts are canceled with plain "canceled" as cause
 */
#ifndef EG_MUTATION_H
#define EG_MUTATION_H

#define EG_MUTATION_LAST_ERROR_WINS 1
#define EG_MUTATION_LIFO_ADMISSION 2
#define EG_MUTATION_TRYGO_BARGES 3
#define EG_MUTATION_WAIT_NO_CANCEL 4
#define EG_MUTATION_DROP_CAUSE 5

#ifdef EG_MUTATION
#ifndef EG_TESTING
#error "EG_MUTATION is a test-only switch: build with EG_TESTING"
#endif
#define EG_MUTATION_PASTE(name) EG_MUTATION_##name
#define EG_MUTATION_VALUE(name) EG_MUTATION_PASTE(name)
#define EG_MUTATED(name) (EG_MUTATION_VALUE(EG_MUTATION) == EG_MUTATION_##name)
#else
#define EG_MUTATED(name) 0
#endif

#endif /* EG_MUTATION_H */
