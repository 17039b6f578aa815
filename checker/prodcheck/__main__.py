from prodcheck.cli import main

main()
