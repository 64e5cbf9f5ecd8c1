export async function simulateCommand(_argv: string[]): Promise<number> {
  return Promise.resolve(1);
}
