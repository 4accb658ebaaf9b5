/* Placeholder until the daemon lands (same session). */
int main(void) { return 0; }
