import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { problems, type FieldProblem } from './problem.exception.js';

/**
 * The global validation pipe: DTOs are class-validator classes, unknown
 * fields are refused (not silently dropped, so a typo or a protected field
 * such as `userId` is an error the client sees), and every invalid field is
 * listed in the problem's `errors`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => problems.validation(flatten(errors)),
  });
}

function flatten(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
