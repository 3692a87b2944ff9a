const char *cl_placeholder(void); const char *cl_placeholder(void) { return ""; }
