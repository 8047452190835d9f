#include "textflag.h"

// func sum8AVX2(x *float64, n int, out *[8]float64)
// The 8 lanes of a pairwise leaf, n a multiple of 8 and at least 8.
TEXT ·sum8AVX2(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    out+16(FP), DI
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	MOVQ    $8, AX
	CMPQ    AX, CX
	JGE     sumdone

sumloop:
	VADDPD (SI)(AX*8), Y0, Y0
	VADDPD 32(SI)(AX*8), Y1, Y1
	ADDQ   $8, AX
	CMPQ   AX, CX
	JLT    sumloop

sumdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VZEROUPPER
	RET

// func sumSq8AVX2(x *float64, n int, m float64, out *[8]float64)
// The same of (x_i - m)², each difference and square rounded.
TEXT ·sumSq8AVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD m+16(FP), Y4
	MOVQ         out+24(FP), DI
	VMOVUPD      (SI), Y2
	VMOVUPD      32(SI), Y3
	VSUBPD       Y4, Y2, Y2
	VSUBPD       Y4, Y3, Y3
	VMULPD       Y2, Y2, Y0
	VMULPD       Y3, Y3, Y1
	MOVQ         $8, AX
	CMPQ         AX, CX
	JGE          sqdone

sqloop:
	VMOVUPD (SI)(AX*8), Y2
	VMOVUPD 32(SI)(AX*8), Y3
	VSUBPD  Y4, Y2, Y2
	VSUBPD  Y4, Y3, Y3
	VMULPD  Y2, Y2, Y2
	VMULPD  Y3, Y3, Y3
	VADDPD  Y2, Y0, Y0
	VADDPD  Y3, Y1, Y1
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     sqloop

sqdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VZEROUPPER
	RET

