#include "featpool/command.h"

int main(int argc, char** argv) { return featpool::cli::Main(argc, argv); }
