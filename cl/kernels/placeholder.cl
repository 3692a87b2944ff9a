__kernel void placeholder(void) {}
