// Parsers for command-line option values, shared by the commands: a bad value is refused by
// commander while it parses, with the option's name and the range, before any work starts.
import { InvalidArgumentError } from 'commander';

/** An integer option within [min, max]; `name` is how the message names it. */
export function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return value;
  };
}
