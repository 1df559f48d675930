# Energy: 6
# Consecutive entries: 5221111
0
0
0
0
0
1
1
0
0
1
0
1
0
